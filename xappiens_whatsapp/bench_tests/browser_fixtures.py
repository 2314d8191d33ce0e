"""Data for the browser tests (browser_tests/run), loaded with `bench execute`:

	bench --site S execute xappiens_whatsapp.bench_tests.browser_fixtures.setup --kwargs '{...}'
	bench --site S execute xappiens_whatsapp.bench_tests.browser_fixtures.teardown

Not a test_*.py module, so `run-tests` does not collect it. Everything it creates carries the `xwb` prefix
(sessions) or the browser users, and `teardown` removes it again.
"""

import json
import struct
import zlib

import frappe
from frappe.share import add_docshare
from frappe.utils import add_to_date, now_datetime

from xappiens_whatsapp.api.media import conversation_file
from xappiens_whatsapp.bench_tests import browser_fixtures_documents
from xappiens_whatsapp.testing.demo import ensure_user
from xappiens_whatsapp.testing.references import remove_references, remove_sessions

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
MAIN, OTHER, QR, XSS = PREFIX + "main", PREFIX + "other", PREFIX + "qr", PREFIX + "xss"
TEAM = PREFIX + "team"  # agents A and B share it: ownership, notifications and quick replies
QUICK_REPLY_TITLE = "xwb Saludo"
CUSTOMER_PHONE = "+34600000001"
SEEDED_PHONE = "+34600000003"
NEW_CUSTOMER_PHONE = "+34600000004"
HOSTILE_CALLER = "+34600000074"  # the caller of the hostile-data scenario's call
AGENT_A_LINE = "+34910000001"
AGENT_B_LINE = "+34910000002"
NETELIP_APPLICATION = "xwb-browser"  # the `api` name Netelip echoes; nothing passes without one
# Customer-controlled text that runs script if the desk ever renders it as HTML; stored as is (db.set_value
# skips Frappe's sanitiser), as if a gateway or a future code path had let it through.
XSS_NAME = "<img src=x onerror=window.__xss=1> Hacker"
XSS_BODY = (
	"<img src=x onerror=window.__xss=2><script>window.__xss=3</script>"
	' https://example.com/"onmouseover="window.__xss=4'
)
XSS_SESSION_NAME = "<img src=x onerror=window.__xss=5> Pruebas"
XSS_URL = "javascript:window.__xss=6"
SITE_PATH = "/files/%2e%2e/api/method/logout"  # a GET of this site, with the agent's cookies
OLDER_MESSAGES = 45  # more than one page of the thread (30)


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


def _png(width: int = 180, height: int = 96) -> bytes:
	"""A small striped picture, so a preview that loads is visible in the screenshots."""
	rows = b"".join(
		b"\x00" + bytes((40 if (x // 12 + y // 12) % 2 else 220) for x in range(width)) for y in range(height)
	)

	def chunk(tag: bytes, data: bytes) -> bytes:
		return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

	header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
	return (
		b"\x89PNG\r\n\x1a\n"
		+ chunk(b"IHDR", header)
		+ chunk(b"IDAT", zlib.compress(rows))
		+ chunk(b"IEND", b"")
	)


def _pdf() -> bytes:
	return (
		b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
		b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
		b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
	)


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
	label = conversation_file("xwb-etiqueta.png", _png(), contact.name)
	invoice = conversation_file("xwb-factura-1042.pdf", _pdf(), contact.name)
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
		attachment=label,
		media_mimetype="image/png",
		media_filename="etiqueta.png",
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
		attachment=invoice,
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


def _xss_conversation(crm_contact: str) -> str:
	"""A conversation whose name, texts and media addresses are markup and script: all of it must show as text.
	No phone (a LID-only contact), so its name is what the Contact form's chooser shows; linked to the CRM
	contact, so it is in that person's timeline too."""
	contact = frappe.get_doc(
		{
			"doctype": "WhatsApp Contact",
			"session": MAIN,
			"whatsapp_id": "118000000000099@lid",
			"display_name": "xss",
			"contact": crm_contact,
			"last_message_at": add_to_date(now_datetime(), hours=-2),
			"unread_count": 0,
		}
	).insert(ignore_permissions=True)
	frappe.db.set_value(
		"WhatsApp Contact",
		contact.name,
		{"display_name": XSS_NAME, "last_message_preview": XSS_BODY, "profile_picture_url": XSS_URL},
	)
	start = add_to_date(now_datetime(), hours=-2, minutes=-3)
	body = _message(contact.name, MAIN, message_id="XWBXSS001", message_timestamp=start, status="Read")
	frappe.db.set_value("WhatsApp Message", body, "body", XSS_BODY)
	for i, kind in enumerate(("document", "image"), 1):
		name = _message(
			contact.name,
			MAIN,
			message_id=f"XWBXSS00{i + 1}",
			message_type=kind,
			media_mimetype="application/pdf" if kind == "document" else "image/png",
			media_filename="manual.pdf" if kind == "document" else "foto.png",
			message_timestamp=add_to_date(start, minutes=i),
			status="Read",
		)
		frappe.db.set_value("WhatsApp Message", name, "media_url", XSS_URL)
	name = _message(
		contact.name,
		MAIN,
		message_id="XWBXSS004",
		message_type="audio",
		media_mimetype="audio/ogg",
		media_filename="nota.ogg",
		message_timestamp=add_to_date(start, minutes=3),
		status="Read",
	)
	frappe.db.set_value("WhatsApp Message", name, "media_url", SITE_PATH)
	return contact.name


def _long_conversation() -> str:
	"""More messages than one page of the thread, over several days: older ones load on scrolling up."""
	start = add_to_date(now_datetime(), days=-4)
	contact = frappe.get_doc(
		{
			"doctype": "WhatsApp Contact",
			"session": MAIN,
			"whatsapp_id": "34600000005@s.whatsapp.net",
			"phone": "+34600000005",
			"display_name": "Historial Largo",
			"last_message_at": add_to_date(start, hours=OLDER_MESSAGES * 2),
			"last_message_preview": f"Mensaje antiguo {OLDER_MESSAGES:02d}",
			"unread_count": 0,
		}
	).insert(ignore_permissions=True)
	for i in range(1, OLDER_MESSAGES + 1):
		_message(
			contact.name,
			MAIN,
			message_id=f"XWBOLD{i:03d}",
			from_me=i % 3 == 0,
			body=f"Mensaje antiguo {i:02d}",
			message_timestamp=add_to_date(start, hours=i * 2),
			status="Read",
		)
	return contact.name


def _crm_contact(first_name: str, last_name: str, phone: str) -> str:
	existing = frappe.db.get_value("Contact Phone", {"phone": phone, "parenttype": "Contact"}, "parent")
	if existing:
		return existing
	doc = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": first_name,
			"last_name": last_name,
			"phone_nos": [{"phone": phone, "is_primary_mobile_no": 1}],
		}
	).insert(ignore_permissions=True)
	return doc.name


def _missed_calls(agent_a: str, agent_b: str) -> None:
	"""A missed call today for each agent: the Missed Calls shortcut counts agent A's, never agent B's."""
	for agent in (agent_a, agent_b):
		frappe.get_doc(
			{
				"doctype": "Netelip Call",
				"direction": "Inbound",
				"status": "No Answer",
				"agent": agent,
				"customer_number": "+34600000077",
				"call_id": f"xwb-missed-{agent}",
				"started_at": frappe.utils.now_datetime(),
			}
		).insert(ignore_permissions=True)


def setup(site_url: str, gateway_url: str, gateway_key: str, session_secret: str, netelip_token: str) -> dict:
	teardown(quiet=True)
	# A fresh site sends every user but Administrator to the setup wizard first.
	if not frappe.db.get_single_value("System Settings", "setup_complete"):
		frappe.db.set_single_value("System Settings", "setup_complete", 1)
	users = {
		key: ensure_user(email, name, roles, PASSWORD, language)
		for key, (email, name, roles, language) in USERS.items()
	}
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
	if netelip.followup_session and not frappe.db.exists("WhatsApp Session", netelip.followup_session):
		netelip.followup_session = None  # a session an earlier run removed
	netelip.webhook_token = netelip_token
	netelip.allowed_sources = ""
	netelip.api_application = NETELIP_APPLICATION
	netelip.alert_on_no_answer = 1
	# Both agents have a line, so "agent B gets no popup" proves the routing, not a missing line.
	netelip.set(
		"agents",
		[
			{"user": agent_a, "extension": "101", "number": AGENT_A_LINE},
			{"user": agent_b, "extension": "102", "number": AGENT_B_LINE},
		],
	)
	netelip.save(ignore_permissions=True)

	_session(MAIN, "Ventas", "Connected", session_secret, [agent_a], default=1)
	_session(OTHER, "Soporte", "Connected", session_secret, [agent_b])
	_session(QR, "Nuevo número", "QR Code Required", session_secret, [])
	_session(XSS, "xss", "Connected", session_secret, [agent_a])
	frappe.db.set_value("WhatsApp Session", XSS, "session_name", XSS_SESSION_NAME)
	_session(TEAM, "Equipo", "Connected", session_secret, [agent_a, agent_b])
	frappe.get_doc(
		{
			"doctype": "WhatsApp Quick Reply",
			"title": QUICK_REPLY_TITLE,
			"shortcut": "saludo",
			"text": "Hola {{ first_name }}, soy {{ agent_first_name }}. ¿En qué te ayudo?",
		}
	).insert(ignore_permissions=True)
	seeded = _seed_conversation(agent_a)
	contact = _crm_contact("Lucía", "Navegador", CUSTOMER_PHONE)
	# Agent A may read this person (shared with them), agent B may not: B's popup shows the number only.
	add_docshare("Contact", contact, agent_a, read=1, flags={"ignore_share_permission": True})
	new_contact = _crm_contact("Pedro", "Sinchat", NEW_CUSTOMER_PHONE)
	xss = _xss_conversation(contact)
	long = _long_conversation()
	documents = browser_fixtures_documents.setup(agent_a, SEEDED_PHONE)
	_missed_calls(agent_a, agent_b)
	frappe.db.commit()
	frappe.cache.delete_value("xw:managers")
	return {
		"users": users,
		"password": PASSWORD,
		"sessions": {"main": MAIN, "other": OTHER, "qr": QR, "team": TEAM},
		"seeded_conversation": seeded,
		"xss_conversation": xss,
		"long_conversation": long,
		"older_messages": OLDER_MESSAGES,
		"crm_contact": contact,
		"new_crm_contact": new_contact,
		"customer_phone": CUSTOMER_PHONE,
		"new_customer_phone": NEW_CUSTOMER_PHONE,
		"agent_a_line": AGENT_A_LINE,
		"agent_b_line": AGENT_B_LINE,
		"netelip_application": NETELIP_APPLICATION,
		**documents,
	}


def teardown(quiet: bool = False) -> None:
	sessions = frappe.get_all("WhatsApp Session", filters={"name": ["like", PREFIX + "%"]}, pluck="name")
	agents = [spec[0] for spec in USERS.values()]
	browser_fixtures_documents.teardown(USERS["agent_a"][0], PREFIX)
	frappe.db.delete("WhatsApp Quick Reply", {"title": QUICK_REPLY_TITLE})
	frappe.db.delete("WhatsApp Agent", {"name": ["in", agents]})
	remove_sessions(sessions)
	phones = [CUSTOMER_PHONE, NEW_CUSTOMER_PHONE, HOSTILE_CALLER]
	calls = frappe.get_all(
		"Netelip Call",
		or_filters={"agent": ["in", agents], "customer_number": ["in", phones]},
		pluck="name",
	)
	if calls:
		call_ids = frappe.get_all("Netelip Call", filters={"name": ["in", calls]}, pluck="call_id")
		frappe.db.delete(
			"Inbound Webhook", {"provider": "Netelip", "reference_key": ["in", call_ids or [""]]}
		)
		remove_references("Netelip Call", calls)
		frappe.db.delete("Netelip Call", {"name": ["in", calls]})
	frappe.db.delete("Notification Log", {"for_user": ["in", agents]})
	for contact in frappe.get_all(
		"Contact Phone", filters={"phone": ["in", phones], "parenttype": "Contact"}, pluck="parent"
	):
		frappe.db.delete("DocShare", {"share_doctype": "Contact", "share_name": contact})
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
