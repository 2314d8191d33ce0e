"""Data for the browser tests (browser_tests/run), loaded with `bench execute`:

	bench --site S execute xappiens_whatsapp.tests.browser_fixtures.setup --kwargs '{...}'
	bench --site S execute xappiens_whatsapp.tests.browser_fixtures.teardown

Not a test_*.py module, so `run-tests` does not collect it. Everything it creates carries the `xwb` prefix
(sessions) or the browser users, and `teardown` removes it again.
"""

import json

import frappe
from frappe.utils import add_to_date, now_datetime

PREFIX = "xwb_"
PASSWORD = "Xwb-Browser-Pass-2026!"
# Agent B works in Spanish, so the run also checks the translations end to end. Frappe gives System Manager
# to any System User saved while no other one exists, so a site administrator comes first.
USERS = {
	"sysadmin": ("xwb.sysadmin@example.com", "Sofía", ("System Manager",), "en"),
	"agent_a": ("xwb.agent.a@example.com", "Ana", ("WhatsApp Agent",), "en"),
	"agent_b": ("xwb.agent.b@example.com", "Bruno", ("WhatsApp Agent",), "es"),
	"manager": ("xwb.manager@example.com", "Marta", ("WhatsApp Manager",), "en"),
}
MAIN, OTHER, QR = PREFIX + "main", PREFIX + "other", PREFIX + "qr"
CUSTOMER_PHONE = "+34600000001"
SEEDED_PHONE = "+34600000003"
AGENT_A_LINE = "+34910000001"


def _user(email: str, first_name: str, roles: tuple[str, ...], language: str) -> str:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name,
				"user_type": "System User",
				"send_welcome_email": 0,
			}
		).insert(ignore_permissions=True)
	frappe.db.set_value("User", email, "language", language)
	user = frappe.get_doc("User", email)
	# Frappe makes the first System User of a fresh site a System Manager: these users get exactly their roles.
	extra = [r.role for r in user.roles if r.role not in roles]
	if extra:
		user.remove_roles(*extra)
	user.add_roles(*roles)
	from frappe.utils.password import update_password

	update_password(email, PASSWORD)
	return email


def _session(name: str, label: str, status: str, secret: str, users: list[str], default: int = 0) -> None:
	frappe.get_doc(
		{
			"doctype": "WhatsApp Session",
			"session_id": name,
			"session_name": label,
			"status": status,
			"phone_number": "+34600000002" if status == "Connected" else None,
			"is_default": default,
			"webhook_secret": secret,
			"allowed_users": [{"user": u} for u in users],
		}
	).insert(ignore_permissions=True)


def _message(contact: str, session: str, **values) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "WhatsApp Message",
			"session": session,
			"contact": contact,
			"chat_jid": "34600000003@s.whatsapp.net",
			"message_type": "text",
			"source": "Webhook",
			**values,
		}
	).insert(ignore_permissions=True)
	return doc.name


def _seed_conversation(agent_a: str) -> str:
	"""An older conversation that shows every kind of message the thread can render."""
	start = add_to_date(now_datetime(), hours=-3)
	contact = frappe.get_doc(
		{
			"doctype": "WhatsApp Contact",
			"session": MAIN,
			"whatsapp_id": "34600000003@s.whatsapp.net",
			"phone": SEEDED_PHONE,
			"display_name": "Carmen Seed",
			"last_message_at": add_to_date(start, minutes=6),
			"last_message_preview": "¿Me lo reenvías?",
			"unread_count": 0,
		}
	).insert(ignore_permissions=True)
	at = lambda minutes: add_to_date(start, minutes=minutes)  # noqa: E731
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED001",
		body="Hola, os escribo por el pedido 1042",
		message_timestamp=at(0),
		status="Read",
	)
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED002",
		from_me=1,
		body="Claro, ahora mismo lo miro.",
		message_timestamp=at(1),
		status="Read",
		quoted_message_id="XWBSEED001",
		sent_by=agent_a,
		reactions=json.dumps({"34600000003@s.whatsapp.net": {"emoji": "👍", "at": 0}}),
	)
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED003",
		message_type="image",
		body="La etiqueta",
		media_url="/assets/frappe/images/frappe-framework-logo.svg",
		media_mimetype="image/svg+xml",
		media_filename="etiqueta.svg",
		message_timestamp=at(2),
		status="Read",
	)
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED004",
		message_type="location",
		latitude=40.4168,
		longitude=-3.7038,
		message_timestamp=at(3),
		status="Read",
	)
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED005",
		message_type="document",
		media_url="/assets/frappe/images/frappe-framework-logo.svg",
		media_mimetype="application/pdf",
		media_filename="factura-1042.pdf",
		media_size=48213,
		message_timestamp=at(4),
		status="Read",
	)
	_message(
		contact.name,
		MAIN,
		from_me=1,
		body="Te envío la factura corregida",
		message_timestamp=at(5),
		status="Failed",
		failure_reason="Session is not connected",
		sent_by=agent_a,
		source="Desk",
	)
	_message(
		contact.name,
		MAIN,
		message_id="XWBSEED007",
		body="¿Me lo reenvías?",
		message_timestamp=at(6),
		status="Read",
	)
	return contact.name


def _crm_contact() -> str:
	existing = frappe.db.get_value(
		"Contact Phone", {"phone": CUSTOMER_PHONE, "parenttype": "Contact"}, "parent"
	)
	if existing:
		return existing
	doc = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": "Lucía",
			"last_name": "Navegador",
			"phone_nos": [{"phone": CUSTOMER_PHONE, "is_primary_mobile_no": 1}],
		}
	).insert(ignore_permissions=True)
	return doc.name


def setup(site_url: str, gateway_url: str, gateway_key: str, session_secret: str, netelip_token: str) -> dict:
	teardown(quiet=True)
	# A fresh site sends every user but Administrator to the setup wizard first.
	if not frappe.db.get_single_value("System Settings", "setup_complete"):
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
	users = {key: _user(*spec) for key, spec in USERS.items()}
	agent_a, agent_b = users["agent_a"], users["agent_b"]

	settings = frappe.get_single("WhatsApp Settings")
	settings.update(
		{
			"base_url": gateway_url,
			"api_key": gateway_key,
			"public_site_url": site_url,
			"default_webhook_secret": session_secret + "-default",
			"timestamp_tolerance": 300,
			"max_body_kb": 512,
			"ack_scale": "whatsapp-web.js (-1 to 4)",
			"webhook_rate_limit": 100000,
			"send_rate_per_minute": 100,
			"request_timeout": 10,
			"default_region": "ES",
		}
	)
	settings.save(ignore_permissions=True)

	netelip = frappe.get_single("Netelip Settings")
	netelip.webhook_token = netelip_token
	netelip.allowed_sources = ""
	netelip.api_application = ""
	netelip.alert_on_no_answer = 1
	netelip.set("agents", [{"user": agent_a, "extension": "101", "number": AGENT_A_LINE}])
	netelip.save(ignore_permissions=True)

	_session(MAIN, "Ventas", "Connected", session_secret, [agent_a], default=1)
	_session(OTHER, "Soporte", "Connected", session_secret, [agent_b])
	_session(QR, "Nuevo número", "QR Code Required", session_secret, [])
	seeded = _seed_conversation(agent_a)
	contact = _crm_contact()
	frappe.db.commit()
	frappe.cache.delete_value("xw:managers")
	return {
		"users": users,
		"password": PASSWORD,
		"sessions": {"main": MAIN, "other": OTHER, "qr": QR},
		"seeded_conversation": seeded,
		"crm_contact": contact,
		"customer_phone": CUSTOMER_PHONE,
		"agent_a_line": AGENT_A_LINE,
	}


def teardown(quiet: bool = False) -> None:
	sessions = frappe.get_all("WhatsApp Session", filters={"name": ["like", PREFIX + "%"]}, pluck="name")
	agents = [spec[0] for spec in USERS.values()]
	if sessions:
		contacts = frappe.get_all("WhatsApp Contact", filters={"session": ["in", sessions]}, pluck="name")
		frappe.db.delete("WhatsApp Message", {"session": ["in", sessions]})
		frappe.db.delete("WhatsApp Contact", {"session": ["in", sessions]})
		frappe.db.delete("WhatsApp Session User", {"parent": ["in", sessions]})
		frappe.db.delete("__Auth", {"doctype": "WhatsApp Session", "name": ["in", sessions]})
		frappe.db.delete("WhatsApp Session", {"name": ["in", sessions]})
		frappe.db.delete("Inbound Webhook", {"session_id": ["in", sessions]})
		if contacts:
			frappe.db.delete(
				"File", {"attached_to_doctype": "WhatsApp Contact", "attached_to_name": ["in", contacts]}
			)
	calls = frappe.get_all(
		"Netelip Call",
		or_filters={"agent": ["in", agents], "customer_number": CUSTOMER_PHONE},
		pluck="name",
	)
	if calls:
		call_ids = frappe.get_all("Netelip Call", filters={"name": ["in", calls]}, pluck="call_id")
		frappe.db.delete(
			"Inbound Webhook", {"provider": "Netelip", "reference_key": ["in", call_ids or [""]]}
		)
		frappe.db.delete(
			"Notification Log", {"document_type": "Netelip Call", "document_name": ["in", calls]}
		)
		frappe.db.delete("Netelip Call", {"name": ["in", calls]})
	frappe.db.delete("Notification Log", {"for_user": ["in", agents]})
	for contact in frappe.get_all(
		"Contact Phone", filters={"phone": CUSTOMER_PHONE, "parenttype": "Contact"}, pluck="parent"
	):
		frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
	frappe.db.commit()
	if not quiet:
		print("browser fixtures removed")


def state(contact: str | None = None, session: str | None = None) -> dict:
	"""What the server holds, for assertions that the page alone cannot make."""
	out = {}
	if contact:
		out["contact"] = frappe.db.get_value(
			"WhatsApp Contact", contact, ["unread_count", "display_name"], as_dict=True
		)
	if session:
		out["session"] = frappe.db.get_value(
			"WhatsApp Session", session, ["status", "qr_expires_at"], as_dict=True
		)
	return out
