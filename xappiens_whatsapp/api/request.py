"""Reading a guest request safely: raw bytes, bounded size, the real peer address."""

import frappe

from xappiens_whatsapp.core.origin import cached_networks, client_ip


class BodyTooLarge(Exception):
	pass


def raw_body(limit_bytes: int) -> bytes:
	"""The exact bytes the provider sent (signatures are computed over them), refused past `limit_bytes`."""
	declared = frappe.request.content_length
	if declared is not None and declared > limit_bytes:
		raise BodyTooLarge
	data = frappe.request.get_data(cache=True)
	if len(data) > limit_bytes:
		raise BodyTooLarge
	return data


def header(name: str) -> str | None:
	value = frappe.get_request_header(name)
	return value.strip() if isinstance(value, str) and value.strip() else None


def peer_address(trusted_proxies: str | None = None) -> str | None:
	"""The socket peer, or the right-most untrusted X-Forwarded-For hop when the peer is a trusted proxy.

	Frappe's own `request_ip` is the first X-Forwarded-For value, which any client can write.
	"""
	remote = frappe.request.environ.get("REMOTE_ADDR")
	if not trusted_proxies:
		return remote
	try:
		proxies = cached_networks(trusted_proxies)
	except ValueError:
		return remote
	return client_ip(remote, frappe.request.headers.get("X-Forwarded-For"), proxies)


def selected_headers(names: tuple[str, ...]) -> dict:
	return {name: header(name) for name in names if header(name) is not None}
