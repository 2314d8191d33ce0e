"""Reading a guest request safely: raw bytes, bounded size, the real peer address."""

import functools
from collections.abc import Callable

import frappe

from xappiens_whatsapp.core.origin import cached_networks, client_ip


class BodyTooLarge(Exception):
	pass


def webhook_rate_limit() -> int:
	"""Requests per minute per address on the guest endpoints (providers post from few addresses)."""
	from xappiens_whatsapp.pipeline import settings

	return settings.int_setting(settings.whatsapp(), "webhook_rate_limit", 3000, minimum=1)


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


def counted_per_peer(trusted_proxies: Callable[[], str | None]):
	"""Make Frappe's `rate_limit` (the decorator below this one) count per real caller.

	It counts per `frappe.local.request_ip`, the first X-Forwarded-For value as sent: anyone could spend the
	provider's quota with a forged header, or dodge their own. The caller is the socket peer, or the
	right-most untrusted hop when the peer is one of `trusted_proxies()`.
	"""

	def decorator(fn):
		@functools.wraps(fn)
		def wrapper(*args, **kwargs):
			frappe.local.request_ip = peer_address(trusted_proxies()) or frappe.local.request_ip
			return fn(*args, **kwargs)

		return wrapper

	return decorator
