"""Which URLs the app stores, links to or sends credentials to.

A URL from a provider (a profile picture, a media file, a recording) is kept only when it is absolute `https`
(or on an origin the caller trusts, such as the configured gateway's own) and holds nothing a page could read as
markup or a script. The addresses the app sends its API key or token to must be `https`; plain `http` only to
this machine, for development.
"""

from __future__ import annotations

import re
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

MAX_LENGTH = 2048
# Whitespace, controls, quotes, angle brackets, backslash and the other characters RFC 3986 never allows raw.
_FORBIDDEN = re.compile(r"[\x00-\x20\x7f-\x9f<>\"'`\\{}|^]")
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def origin(url: str | None) -> tuple[str, str, int | None] | None:
	"""(scheme, host, port) of an absolute http(s) URL, or None."""
	if not isinstance(url, str) or _FORBIDDEN.search(url.strip()):
		return None
	try:
		parts = urlsplit(url.strip())
		port = parts.port
	except ValueError:
		return None
	if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
		return None
	return parts.scheme.lower(), parts.hostname.lower(), port


def is_loopback(host: str | None) -> bool:
	if not host:
		return False
	host = host.lower().strip("[]")
	if host in LOOPBACK_NAMES or host.endswith(".localhost"):
		return True
	try:
		return ip_address(host).is_loopback
	except ValueError:
		return False


def safe_url(value: Any, trusted_origins: tuple[str | None, ...] = ()) -> str | None:
	"""`value` if it is a URL worth storing and linking to, else None.

	Absolute `https` with a host, or the scheme, host and port of one of `trusted_origins` (base URLs, e.g. the
	gateway's, which may be plain http on a development machine); no user:password part, no whitespace,
	quotes, angle brackets or other characters a page could read as markup; at most MAX_LENGTH characters."""
	if not isinstance(value, str):
		return None
	url = value.strip()
	if not url or len(url) > MAX_LENGTH:
		return None
	found = origin(url)
	if found is None:
		return None
	parts = urlsplit(url)
	if parts.username is not None or parts.password is not None:
		return None
	if found[0] == "https":
		return url
	trusted = {origin(base) for base in trusted_origins if base}
	return url if found in trusted else None


def endpoint_problem(value: Any) -> str | None:
	"""Why a provider's base URL (it receives our credentials) is refused, or None when it is acceptable:
	`https`, or `http` to a loopback address for development."""
	if not isinstance(value, str) or not value.strip():
		return None
	url = value.strip()
	found = origin(url)
	if found is None:
		return "not an absolute http(s) address"
	parts = urlsplit(url)
	if parts.username is not None or parts.password is not None:
		return "must not contain a user name or password"
	if parts.query or parts.fragment:
		return "must not contain a query or a fragment"
	if found[0] == "http" and not is_loopback(found[1]):
		return "must use https (plain http only to this machine)"
	return None


def on_hosts(
	url: Any, hosts: list[str] | tuple[str, ...], trusted_origins: tuple[str | None, ...] = ()
) -> bool:
	"""True when `url` is one this server may fetch for a user: `https` on one of `hosts` or a subdomain of
	one, or exactly one of `trusted_origins` (scheme, host and port, e.g. a provider's configured API URL)."""
	if safe_url(url, trusted_origins) is None:
		return False
	found = origin(url)
	if found in {origin(base) for base in trusted_origins if base}:
		return True
	if found[0] != "https":
		return False
	host = found[1].rstrip(".")
	for allowed in hosts:
		allowed = (allowed or "").strip().lower().strip(".")
		if allowed and (host == allowed or host.endswith("." + allowed)):
			return True
	return False
