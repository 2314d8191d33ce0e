"""Link WhatsApp conversations and calls to the CRM's own Contacts by phone number."""

import frappe

from xappiens_whatsapp.core.phones import to_e164


def _national_tail(e164: str) -> str:
	# The last 9 digits survive every way people type a number ("600 00 00 01", "+34600000001", …).
	return "".join(ch for ch in e164 if ch.isdigit())[-9:]


def phone_rows(e164: str | None, region: str = "ES") -> list:
	"""The Contact phone rows holding this number (parent, phone, owner: who wrote the row), oldest
	Contact first."""
	if not e164:
		return []
	tail = _national_tail(e164)
	candidates = frappe.db.sql(
		"""select cp.parent, cp.phone, cp.owner, c.creation from `tabContact Phone` cp
		join `tabContact` c on c.name = cp.parent
		where cp.parenttype = 'Contact' and replace(replace(replace(cp.phone, ' ', ''), '-', ''), '.', '') like %s
		order by c.creation, c.name""",
		(f"%{tail}",),
		as_dict=True,
	)
	return [row for row in candidates if to_e164(row.phone, region) == e164]


def find_contacts(e164: str | None, region: str = "ES") -> list[str]:
	"""The Frappe Contacts that have this number, oldest first."""
	return list(dict.fromkeys(row.parent for row in phone_rows(e164, region)))


def find_contact(e164: str | None, region: str = "ES") -> str | None:
	"""The Frappe Contact whose phone is this number, if exactly one clear match exists (oldest wins)."""
	found = find_contacts(e164, region)
	return found[0] if found else None


def contact_phones(contact: str, region: str = "ES") -> set[str]:
	phones = frappe.get_all(
		"Contact Phone",
		filters={"parent": contact, "parenttype": "Contact"},
		pluck="phone",
		ignore_permissions=True,
	)
	return {p for p in (to_e164(x, region) for x in phones) if p}


def stamp_phone_owners(doc, method=None) -> None:
	"""Contact `validate`: each phone row's owner is whoever last put that number in it.

	Frappe gives a new row its Contact's owner, and takes an owner sent by the client as it is; click-to-call
	trusts a number by who wrote it (pipeline/callable_numbers.py), so the owner is set here, on every save:
	kept for a row whose number is unchanged, the current user for a new or changed one."""
	from xappiens_whatsapp.pipeline.settings import default_region

	region = default_region()
	stored = {}
	if not doc.is_new():
		stored = {
			row.name: row
			for row in frappe.get_all(
				"Contact Phone",
				filters={"parent": doc.name, "parenttype": "Contact"},
				fields=["name", "phone", "owner"],
			)
		}
	for row in doc.get("phone_nos") or []:
		before = stored.get(row.name)
		same = before is not None and (
			before.phone == row.phone
			or (to_e164(before.phone, region) or before.phone) == (to_e164(row.phone, region) or row.phone)
		)
		row.owner = before.owner if same else frappe.session.user


def contact_updated(doc, method=None) -> None:
	"""A Contact gained or changed a phone: link the conversations and calls with that number."""
	phones = contact_phones(doc.name)
	if not phones:
		return
	for whatsapp_contact in frappe.get_all(
		"WhatsApp Contact",
		filters={"phone": ["in", list(phones)], "contact": ["is", "not set"]},
		pluck="name",
	):
		frappe.db.set_value("WhatsApp Contact", whatsapp_contact, "contact", doc.name, update_modified=False)
	for call in frappe.get_all(
		"Netelip Call",
		filters={"customer_number": ["in", list(phones)], "contact": ["is", "not set"]},
		pluck="name",
	):
		frappe.db.set_value("Netelip Call", call, "contact", doc.name, update_modified=False)
