"""WhatsApp ids (JIDs): one canonical form per chat, and the only safe way to get a phone from one."""

from __future__ import annotations

import re
from dataclasses import dataclass

USER_SERVER = "s.whatsapp.net"
_USER_ALIASES = {"s.whatsapp.net", "c.us"}
GROUP_SERVER = "g.us"
LID_SERVER = "lid"
BROADCAST = "status@broadcast"
# What the parts of a JID are made of (digits for users and lids, digits and a dash for old group ids, the
# server's name): anything else is not an id WhatsApp gave and is refused, never carried into a record.
_USER = re.compile(r"[A-Za-z0-9_.+:-]{1,80}")
_SERVER = re.compile(r"[a-z0-9.-]{1,40}")


@dataclass(frozen=True)
class Jid:
	user: str
	server: str

	def __str__(self) -> str:
		return f"{self.user}@{self.server}"

	@property
	def is_user(self) -> bool:
		return self.server == USER_SERVER

	@property
	def is_group(self) -> bool:
		return self.server == GROUP_SERVER

	@property
	def is_lid(self) -> bool:
		return self.server == LID_SERVER

	@property
	def is_broadcast(self) -> bool:
		return self.server == "broadcast"

	@property
	def phone_digits(self) -> str | None:
		"""Country code + number (at most 15 digits, as E.164 allows), only for user JIDs: a @lid or a group id is
		never a phone."""
		user = self.user
		return user if self.is_user and user.isascii() and user.isdigit() and len(user) <= 15 else None


def parse_jid(value: object) -> Jid | None:
	"""Canonicalise a chat id.

	`@c.us` and `@s.whatsapp.net` are the same user; Baileys' device suffix (`:12`) and agent suffix
	(`_1`) are dropped from user ids; bare digits are a user JID. `@g.us`, `@lid` and anything else are
	kept as received. Returns None for empty or non-string input, and for ids made of anything but letters,
	digits and the few separators WhatsApp uses.
	"""
	if not isinstance(value, str | int) or isinstance(value, bool):
		return None
	text = str(value).strip()
	if not text:
		return None
	if "@" not in text:
		number = text.lstrip("+")
		return Jid(number, USER_SERVER) if number.isascii() and number.isdigit() else None
	user, _, server = text.rpartition("@")
	server = server.lower()
	if not _USER.fullmatch(user) or not _SERVER.fullmatch(server):
		return None
	if server in _USER_ALIASES:
		user = user.split(":", 1)[0].split("_", 1)[0]
		return Jid(user, USER_SERVER) if user else None
	if server == LID_SERVER:
		user = user.split(":", 1)[0]
	return Jid(user, server)


def canonical(value: object) -> str | None:
	jid = parse_jid(value)
	return str(jid) if jid else None


def user_jid(phone_digits: str) -> str:
	return f"{phone_digits}@{USER_SERVER}"
