"""A support team's day, played on a site through the paths production takes, for demos and for checking the
ownership rules at a glance:

	bench --site S execute xappiens_whatsapp.testing.team_day.play --kwargs '{"agents": 3, "customers": 12}'
	bench --site S execute xappiens_whatsapp.testing.team_day.clean

Customers' messages are stored as webhook deliveries and applied by the pipeline's own job; agents act through
their endpoints as themselves. The day: in the morning every customer writes (one agent is away), each owner
resolves what they got; at noon the away agent comes back and another leaves; in the afternoon half the customers
write again. The answer counts what each agent owned, what was reopened, handed on or left unassigned.

Everything it makes carries the `xwd_` session prefix or a `@teamday.localhost` user, and `clean` removes it.
"""

import random
import time
from collections import Counter

import frappe

from xappiens_whatsapp.api import webhook
from xappiens_whatsapp.core import inbox_hub_events as ih
from xappiens_whatsapp.pipeline.inbox.drain import process
from xappiens_whatsapp.pipeline.whatsapp import agents as agent_switches
from xappiens_whatsapp.pipeline.whatsapp import ownership
from xappiens_whatsapp.testing.payloads import compact
from xappiens_whatsapp.testing.references import remove_sessions
from xappiens_whatsapp.testing.wwebjs_messages import text_message

SESSION = "xwd_team_day"
DOMAIN = "teamday.localhost"
OWN_PHONE = "34600000000"


def _agent(n: int) -> str:
	email = f"agent{n}@{DOMAIN}"
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": f"Agent {n}", "send_welcome_email": 0}
		).insert(ignore_permissions=True)
		frappe.get_doc("User", email).add_roles("WhatsApp Agent")
	return email


def _customer_writes(phone: str, text: str, rng: random.Random) -> None:
	message_id = "3EB0" + "".join(rng.choice("0123456789ABCDEF") for _ in range(18))
	jid = f"{phone}@c.us"
	own = f"{OWN_PHONE}@c.us"
	payload = {
		"event": "message.received",
		"sessionId": SESSION,
		"data": text_message(jid, own, message_id, text, time.time(), from_me=False),
	}
	raw = compact(payload)
	accepted = webhook.accept_parsed(ih.parse(raw), raw, SESSION, {"X-Webhook-Event": payload["event"]}, None)
	frappe.db.commit()
	process(accepted.name)
	frappe.db.commit()


def _as(user: str, method, **kwargs):
	frappe.set_user(user)
	try:
		return method(**kwargs)
	finally:
		frappe.set_user("Administrator")
		frappe.db.commit()


def _owners() -> dict[str, str | None]:
	return dict(
		frappe.get_all(
			"WhatsApp Contact", filters={"session": SESSION}, fields=["name", "assigned_to"], as_list=True
		)
	)


def play(agents: int = 3, customers: int = 12, seed: int = 7) -> dict:
	from xappiens_whatsapp.api import ownership as endpoints

	if not 2 <= int(agents) <= 10 or not 1 <= int(customers) <= 200:
		frappe.throw("2 to 10 agents, 1 to 200 customers")
	clean(quiet=True)
	rng = random.Random(seed)
	team = [_agent(n) for n in range(1, int(agents) + 1)]
	frappe.get_doc(
		{
			"doctype": "WhatsApp Session",
			"session_id": SESSION,
			"session_name": "Team day",
			"status": "Connected",
			"allowed_users": [{"user": u} for u in team],
		}
	).insert(ignore_permissions=True)
	for user in team:
		agent_switches.update_preferences(user, {"available": 1})
	away, later_away = team[-1], team[0]
	agent_switches.update_preferences(away, {"available": 0})
	frappe.db.commit()
	phones = [f"34611{n:06d}" for n in range(int(customers))]

	# Morning: everyone writes; each owner resolves what they got.
	for phone in phones:
		_customer_writes(phone, "Buenos días, una consulta", rng)
	morning = _owners()
	for contact, owner in morning.items():
		if owner:
			_as(owner, endpoints.set_state, contact=contact, state=ownership.RESOLVED)
	# Noon: the away agent is back, another leaves.
	agent_switches.update_preferences(away, {"available": 1})
	agent_switches.update_preferences(later_away, {"available": 0})
	frappe.db.commit()
	# Afternoon: half the customers write again after their conversation was resolved.
	returning = rng.sample(phones, len(phones) // 2)
	for phone in returning:
		_customer_writes(phone, "Perdona, otra pregunta", rng)
	afternoon = _owners()
	states = Counter(
		frappe.get_all("WhatsApp Contact", filters={"session": SESSION}, pluck="conversation_state")
	)
	handed_on = sum(1 for c, owner in afternoon.items() if morning.get(c) and owner != morning[c])
	result = {
		"agents": team,
		"away_in_the_morning": away,
		"away_in_the_afternoon": later_away,
		"morning_owners": dict(Counter(o or "unassigned" for o in morning.values())),
		"afternoon_owners": dict(Counter(o or "unassigned" for o in afternoon.values())),
		"reopened": states.get(ownership.OPEN, 0),
		"still_resolved": states.get(ownership.RESOLVED, 0),
		"handed_on_because_owner_away": handed_on,
	}
	print(frappe.as_json(result))
	return result


def clean(quiet: bool = False) -> None:
	remove_sessions([SESSION])
	frappe.db.delete("WhatsApp Agent", {"name": ["like", f"%@{DOMAIN}"]})
	frappe.db.commit()
	if not quiet:
		print("team day removed")
