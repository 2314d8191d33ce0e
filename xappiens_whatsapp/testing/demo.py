"""The demo `dev/up` brings up on a development site: two agents and a manager, the fake Inbox Hub gateway and
fake Netelip configured as the providers, and one WhatsApp number whose traffic the simulator plays.

Everything it makes is recognisable (users @demo.localhost, the session `demo_ventas`), and running it again
updates what is there instead of adding to it. Passwords are chosen by the caller, never stored here.
"""

import frappe

from xappiens_whatsapp.testing import sim_check

SESSION = "demo_ventas"
NETELIP_APPLICATION = "API demo"
USERS = {
	"agent": ("ana@demo.localhost", "Ana", ("WhatsApp Agent", "Sales User")),
	"second_agent": ("bruno@demo.localhost", "Bruno", ("WhatsApp Agent", "Sales User")),
	"manager": ("marta@demo.localhost", "Marta", ("WhatsApp Manager", "Sales Manager")),
}


def ensure_user(
	email: str, first_name: str, roles: tuple[str, ...], password: str, language: str = "es"
) -> str:
	"""A System User with exactly `roles` and this password, made or brought back to that."""
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

	update_password(email, password)
	return email


def setup(
	site_url: str,
	gateway_url: str,
	gateway_key: str,
	netelip_url: str,
	netelip_api_token: str,
	callback_token: str,
	password: str,
) -> dict:
	if not frappe.db.get_single_value("System Settings", "setup_complete"):
		frappe.db.set_single_value(
			"System Settings", "setup_complete", 1
		)  # no setup wizard for the demo users
	users = {key: ensure_user(*spec, password) for key, spec in USERS.items()}

	settings = frappe.get_single("WhatsApp Settings")
	settings.update(
		{
			"base_url": gateway_url,
			"api_key": gateway_key,
			"public_site_url": site_url,
			"default_region": "ES",
			"send_rate_per_minute": 30,
		}
	)
	settings.save(ignore_permissions=True)

	netelip = frappe.get_single("Netelip Settings")
	netelip.update(
		{
			"api_base_url": netelip_url + "/v1",
			"api_token": netelip_api_token,
			"api_application": NETELIP_APPLICATION,
			"caller_id": "34910000000",
			"webhook_token": callback_token,
			"allowed_sources": "",
			"alert_on_no_answer": 1,
		}
	)
	netelip.set(
		"agents",
		[
			{"user": users["agent"], "extension": "101", "number": "+34910000101"},
			{"user": users["second_agent"], "extension": "102", "number": "+34910000102"},
		],
	)
	netelip.save(ignore_permissions=True)

	# The number the simulator plays is one of its own sessions; the agents serve it.
	sim_check.ensure_sessions([SESSION])
	session = frappe.get_doc("WhatsApp Session", SESSION)
	session.set("allowed_users", [{"user": users["agent"]}, {"user": users["second_agent"]}])
	session.is_default = 1
	session.save(ignore_permissions=True)
	frappe.db.commit()
	frappe.cache.delete_value("xw:managers")
	return {"users": users, "session": SESSION, "netelip_application": NETELIP_APPLICATION}
