"""Is this request from the provider? Shared secret, source IP allowlist and application name checks.

Netelip signs nothing, so its callbacks are checked in depth: an unguessable token in the URL, an optional
IP allowlist (X-Forwarded-For believed only when the socket peer is one of our own proxies) and the `api`
application name. Every check fails closed on missing configuration, except the optional allowlist.
"""

from __future__ import annotations

import functools
import hmac
import re
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address
_SEPARATORS = re.compile(r"[\s,;]+")
_IPV4_WITH_PORT = re.compile(r"(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}", re.ASCII)
_BRACKETED_IPV6 = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::\d{1,5})?", re.ASCII)


def token_matches(given: str | None, expected: str | None) -> bool:
	"""Constant-time comparison of a shared token; no configured token means nobody gets in."""
	if not expected or not expected.strip() or given is None:
		return False
	return hmac.compare_digest(given.strip().encode("utf-8"), expected.strip().encode("utf-8"))


def token_matches_any(given: str | None, expected: Iterable[str | None]) -> bool:
	"""For token rotation: every candidate is compared, so timing does not tell which one matched."""
	results = [token_matches(given, candidate) for candidate in expected]
	return any(results)


def parse_networks(text: str | None) -> list[Network]:
	"""IPs or CIDRs, IPv4 or IPv6, separated by new lines, commas or spaces; `#` starts a comment.

	A single IP becomes a /32 (or /128); host bits in a CIDR are tolerated (`10.0.0.7/24` → `10.0.0.0/24`).
	Raises ValueError naming the first bad entry, so a typo in the settings is refused when saved.
	"""
	networks: list[Network] = []
	for line in (text or "").splitlines():
		for entry in _SEPARATORS.split(line.split("#", 1)[0]):
			if not entry:
				continue
			try:
				networks.append(ip_network(entry, strict=False))
			except ValueError:
				raise ValueError(f"Not an IP address or network: {entry!r}") from None
	return networks


@functools.lru_cache(maxsize=64)
def cached_networks(text: str | None) -> tuple[Network, ...]:
	"""parse_networks for a setting read on every request: the same text always gives the same networks."""
	return tuple(parse_networks(text))


def _as_networks(networks: Iterable[Network | str]) -> list[Network]:
	return [n if isinstance(n, IPv4Network | IPv6Network) else ip_network(n, strict=False) for n in networks]


def parse_ip(value: str | None) -> Address | None:
	"""An address from a socket peer or a forwarded hop (a port or brackets are tolerated); None if bad.

	IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is read as the IPv4 address, so allowlists need one entry only.
	"""
	if value is None:
		return None
	text = value.strip().strip('"')
	for pattern in (_BRACKETED_IPV6, _IPV4_WITH_PORT):
		match = pattern.fullmatch(text)
		if match:
			text = match.group(1)
	try:
		address = ip_address(text)
	except ValueError:
		return None
	if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
		return address.ipv4_mapped
	return address


def _within(address: Address, networks: list[Network]) -> bool:
	return any(address.version == network.version and address in network for network in networks)


def client_ip(
	remote_addr: str | None, forwarded_for: str | None, trusted_proxies: Iterable[Network | str]
) -> str | None:
	"""The address of the party that really called us, or None when it cannot be established.

	X-Forwarded-For is only believed when the socket peer is a trusted proxy; then its hops are read from
	the right, skipping our own proxies, and the first one that is not ours is the client (every hop to its
	left may have been written by the client itself). A malformed hop on that path gives None.
	"""
	peer = parse_ip(remote_addr)
	if peer is None:
		return None
	proxies = _as_networks(trusted_proxies)
	if not _within(peer, proxies):
		return str(peer)
	hops = [hop for hop in (forwarded_for or "").split(",") if hop.strip()]
	address = peer
	for hop in reversed(hops):
		address = parse_ip(hop)
		if address is None:
			return None
		if not _within(address, proxies):
			return str(address)
	# Only our own proxies on the path (or no header): the left-most of them is the origin.
	return str(address)


def ip_allowed(ip: str | None, allowed: Iterable[Network | str]) -> bool:
	"""True when `ip` is inside the allowlist; an empty allowlist means no IP restriction."""
	networks = _as_networks(allowed)
	if not networks:
		return True
	address = parse_ip(ip)
	return address is not None and _within(address, networks)


def valid_application(given: str | None, expected: str | None) -> bool:
	"""`api` must equal the configured application name.

	Case-sensitive after trimming spaces: Netelip echoes the name exactly as it is configured in its panel,
	so anything else is a callback meant for another application of the account. Fails closed: with no
	application configured nothing passes (see `application_reason` for telling the two apart).
	"""
	if expected is None or not expected.strip():
		return False
	return given is not None and given.strip() == expected.strip()


def application_reason(given: str | None, expected: str | None) -> str | None:
	"""Why the `api` value is refused (a counted reason), or None when it is the configured application."""
	if expected is None or not expected.strip():
		return "no_application"
	if given is None or not given.strip():
		return "missing_application"
	return None if valid_application(given, expected) else "bad_application"
