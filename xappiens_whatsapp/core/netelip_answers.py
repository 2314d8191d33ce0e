"""What the control URL tells Netelip to do next with a call: a value the app keeps in its own fields, and the
JSON Netelip reads (`{"command": "dial", "options": "<kind>,<target>,<ring s>,calling,<longest s>"}`)."""

from __future__ import annotations

from dataclasses import dataclass

DIAL = "dial"
HANGUP_COMMAND = "hangup"
PUBLIC_LINE = "pstn"  # a dial to a number on the public network (an extension is "extension")


@dataclass(frozen=True)
class ControlAnswer:
	command: str | None = None  # "dial", "hangup", or None: no instruction (Netelip follows its own default)
	kind: str | None = None  # a dial's line: "pstn" (a public number) or "extension"
	target: str | None = None  # a dial's number or extension (never stored: it may be an agent's own line)
	ring_seconds: int | None = None
	longest_seconds: int | None = None
	userfield: str | None = None  # our click-to-call reference, which Netelip sends back

	@property
	def dial_ring_seconds(self) -> int | None:
		"""How long the phone we dialled rings; None when the answer is not a dial."""
		return self.ring_seconds if self.command == DIAL else None

	@property
	def dials_public_number(self) -> bool:
		return self.command == DIAL and self.kind == PUBLIC_LINE

	def to_netelip(self) -> dict:
		if self.command == HANGUP_COMMAND:
			return {"command": HANGUP_COMMAND}
		if self.command != DIAL:
			return {}
		options = f"{self.kind},{self.target},{self.ring_seconds},calling,{self.longest_seconds}"
		return {
			"command": DIAL,
			"options": options,
			**({"userfield": self.userfield} if self.userfield else {}),
		}

	def stored(self) -> dict:
		"""The fields of the inbox row that remember this answer for the job applying the event."""
		return {
			"answer_command": self.command,
			"answer_line": self.kind,
			"answer_ring_seconds": self.ring_seconds or 0,  # an Int column: 0 is "none"
		}

	@classmethod
	def from_stored(cls, row) -> ControlAnswer:
		ring = row.get("answer_ring_seconds") or None
		return cls(row.get("answer_command"), row.get("answer_line"), None, ring)


HANGUP = ControlAnswer(HANGUP_COMMAND)
NO_INSTRUCTION = ControlAnswer()


def dial(kind: str, target: str, ring_seconds: int, longest_seconds: int, userfield: str | None = None):
	return ControlAnswer(DIAL, kind, target, ring_seconds, longest_seconds, userfield)
