"""Which numbers an agent may call with one click: click-to-call must not be a way to call any number at the
company's expense (toll fraud), so a number has to be vouched for by someone other than the agent.

A number is registered when
- a manager listed it (Netelip Settings > Other numbers that may be called);
- a Contact's phone row holds it and whoever wrote that row is a manager (System Manager, WhatsApp Manager,
  Administrator, the system's own jobs) or the customer (Guest, i.e. a web form, or a website user). The row's
  writer is kept in its `owner`, stamped on every save (crm_links.stamp_phone_owners): an agent who creates a
  Contact, or changes a number on a manager's one, vouches for nothing;
- a WhatsApp conversation with that phone was started by the customer: its first message, by time and by
  arrival, is inbound. Writing to a number from the desk starts a conversation the agent started.
And the record must be one the agent may read: a number known only through hidden records is as unknown to
them as one the CRM never saw. Whatever vouches for it, a number must also be an ordinary line in an allowed
country (core/destinations.py).
"""

import frappe
from frappe import _

from xappiens_whatsapp.core import destinations
from xappiens_whatsapp.pipeline import crm_links, settings

VOUCHING_ROLES = ("System Manager", "WhatsApp Manager")
CUSTOMER_USERS = ("Guest",)


def vouches(user: str | None) -> bool:
	"""Whether a phone row written by `user` makes its number callable."""
	if not user:
		return False
	if user in CUSTOMER_USERS or user == "Administrator":
		return True
	cache = frappe.local.cache.setdefault("xw_vouching_users", {})
	if user not in cache:
		user_type = frappe.db.get_value("User", user, "user_type")
		cache[user] = user_type == "Website User" or (
			user_type == "System User" and any(role in VOUCHING_ROLES for role in frappe.get_roles(user))
		)
	return cache[user]


def _vouched_contacts(e164: str) -> list[str]:
	rows = crm_links.phone_rows(e164, settings.default_region())
	return list(dict.fromkeys(row.parent for row in rows if vouches(row.owner)))


def conversations_started_by_customer(e164: str) -> list[str]:
	"""WhatsApp conversations with this phone whose first message, by time and by arrival, is inbound."""
	return frappe.db.sql_list(
		"""select wc.name from `tabWhatsApp Contact` wc
		where wc.phone = %(phone)s
		and exists (select 1 from `tabWhatsApp Message` i where i.contact = wc.name and i.from_me = 0)
		and not exists (
			select 1 from `tabWhatsApp Message` o where o.contact = wc.name and o.from_me = 1 and (
				o.creation <= (select min(i.creation) from `tabWhatsApp Message` i
					where i.contact = wc.name and i.from_me = 0)
				or o.message_timestamp <= (select min(i.message_timestamp) from `tabWhatsApp Message` i
					where i.contact = wc.name and i.from_me = 0)))""",
		{"phone": e164},
	)


def is_registered(e164: str, user: str | None = None) -> bool:
	"""See the module's description; the answer says no more than yes or no."""
	if any(row.number == e164 for row in settings.netelip().allowed_numbers or []):
		return True
	holders = [("Contact", name) for name in _vouched_contacts(e164)]
	holders += [("WhatsApp Contact", name) for name in conversations_started_by_customer(e164)]
	return any(frappe.has_permission(doctype, "read", doc=name, user=user) for doctype, name in holders)


def allowed_countries() -> frozenset[str]:
	try:
		return destinations.parse_countries(settings.netelip().allowed_countries, settings.default_region())
	except ValueError:
		return frozenset({settings.default_region()})  # a bad list (saved around validation) allows least


def check_destination(e164: str) -> None:
	"""Refuse a number nobody may call from here, whoever vouched for it."""
	refused = destinations.refusal(e164, allowed_countries())
	if refused is None:
		return
	if refused.country:
		frappe.throw(
			_(
				"Calls to {0} are not allowed: its country ({1}) is not among the countries that may be called."
			).format(frappe.bold(e164), refused.country),
			title=_("Number not allowed"),
		)
	frappe.throw(
		_("{0} is a {1}: calls to it are not allowed.").format(frappe.bold(e164), _kind_label(refused.kind)),
		title=_("Number not allowed"),
	)


def _kind_label(kind: str | None) -> str:
	labels = {
		"premium-rate": _("premium-rate number"),
		"shared-cost": _("shared-cost number"),
		"personal": _("personal number"),
		"universal access": _("universal access number"),
	}
	return labels.get(kind) or _("special-rate number")
