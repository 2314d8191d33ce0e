"""*Send via WhatsApp* from any printable form: the document is rendered to PDF with the chosen print format,
kept as a private File attached to the message, and sent through the send queue with a caption. The message shows
in its conversation, and a comment on the document's timeline says what was sent to whom.

Who may: a user who can read the document and send from the number."""

import os
import re

import frappe
from frappe import _
from frappe.utils import escape_html
from frappe.utils.pdf import get_pdf

from xappiens_whatsapp.api import messages as sending
from xappiens_whatsapp.core.text import one_line
from xappiens_whatsapp.pipeline.whatsapp import outbound

# Frappe's print page links its stylesheets, which wkhtmltopdf would fetch from the site's public address: a
# server behind a proxy, or one whose name does not resolve from itself, gets no PDF. They are inlined instead.
ASSET_STYLESHEET = re.compile(
	r"""<link\b[^>]*\bhref=["'](?:https?://[^/"']+)?(/assets/[^"'?#]+\.css)[^"']*["'][^>]*>""", re.IGNORECASE
)
UNSENDABLE = {"WhatsApp Message", "WhatsApp Contact", "WhatsApp Session", "Inbound Webhook", "File"}


def _file_name(doctype: str, name: str) -> str:
	stem = re.sub(r"[^\w.-]+", "-", f"{doctype} {name}", flags=re.UNICODE).strip("-.") or "document"
	return f"{stem[:120]}.pdf"


def _inline_stylesheets(html: str) -> str:
	# normpath, not realpath: a bench's assets are symlinks into its apps; ".." cannot leave them either way.
	assets = os.path.normpath(os.path.join(frappe.local.sites_path, "assets"))

	def inline(match: re.Match) -> str:
		path = os.path.normpath(os.path.join(frappe.local.sites_path, match.group(1).lstrip("/")))
		if not path.startswith(assets + os.sep) or not os.path.isfile(path):
			return ""
		with open(path, encoding="utf-8") as handle:
			return "<style>" + handle.read().replace("</", "<\\/") + "</style>"

	return ASSET_STYLESHEET.sub(inline, html)


def _print_format(doctype: str, print_format: str | None) -> str | None:
	if not print_format or print_format == "Standard":
		return None
	if frappe.db.get_value("Print Format", print_format, "doc_type") != doctype:
		frappe.throw(_("Print format {0} is not for {1}").format(escape_html(print_format), _(doctype)))
	return print_format


@frappe.whitelist(methods=["POST"])
def send_document(
	doctype: str,
	name: str,
	contact: str | None = None,
	phone: str | None = None,
	session: str | None = None,
	print_format: str | None = None,
	caption: str | None = None,
	client_ref: str | None = None,
) -> dict:
	meta = frappe.get_meta(doctype)
	if doctype in UNSENDABLE or meta.istable or meta.issingle:
		frappe.throw(_("{0} cannot be sent as a document").format(_(doctype)))
	if not frappe.db.exists(doctype, name) or not frappe.has_permission(doctype, "read", doc=name):
		raise frappe.PermissionError(_("Not permitted"))
	session, contact = sending.resolve_target(contact, phone, session)
	if client_ref and outbound._by_client_ref(client_ref):
		return sending._result(outbound._by_client_ref(client_ref))  # a double click: the first one's message
	fmt = _print_format(doctype, print_format)
	pdf = get_pdf(_inline_stylesheets(frappe.get_print(doctype, name, fmt)))
	file = frappe.get_doc(
		{"doctype": "File", "file_name": _file_name(doctype, name), "content": pdf, "is_private": 1}
	).insert(ignore_permissions=True)
	caption = one_line(caption, 1000) or f"{_(doctype)} {name}"
	message = outbound.create(
		session=session, contact=contact, text=caption, file_url=file.file_url, client_ref=client_ref
	)
	# The file is read by whoever may read the message (File follows the document it is attached to).
	frappe.db.set_value(
		"File", file.name, {"attached_to_doctype": "WhatsApp Message", "attached_to_name": message}
	)
	_note_on_timeline(doctype, name, contact, fmt, caption)
	return sending._result(message)


def _note_on_timeline(doctype: str, name: str, contact: str, print_format: str | None, caption: str) -> None:
	to = frappe.db.get_value("WhatsApp Contact", contact, ["display_name", "phone"], as_dict=True)
	who = " ".join(p for p in (to.display_name, f"({to.phone})" if to.phone else "") if p)
	text = _("Sent via WhatsApp to {0} as PDF ({1}): {2}").format(
		escape_html(who), escape_html(print_format or _("Standard")), escape_html(caption)
	)
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": doctype,
			"reference_name": name,
			"content": text,
		}
	).insert(ignore_permissions=True)
