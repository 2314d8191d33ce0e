"""Quick reply texts with `{{ first_name }}`-style fields, filled by plain substitution.

Never a template engine: a quick reply is written by agents and filled with what customers chose to be called,
so the only thing a template can do is name one of the known fields. Anything else that looks like template
syntax (`{%`, `{{ 1 + 1 }}`, an unknown name, an unclosed `{{`) is refused when the reply is saved. A field
without a value renders empty; values are inserted as they are, once, never read again as a template.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

FIELDS = {
	"first_name": "The contact's first name",
	"last_name": "The contact's last name",
	"full_name": "The contact's name as shown in the inbox",
	"phone": "The contact's phone number",
	"agent_first_name": "Your first name",
	"agent_name": "Your full name",
	"agent_email": "Your email address",
}
FIELD = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
# What is left once the valid fields are taken out must not open or close anything template-like.
TEMPLATE_SYNTAX = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


def problems(template: str | None) -> list[str]:
	"""Why the template cannot be saved; empty when it can."""
	text = template or ""
	found = []
	for match in FIELD.finditer(text):
		if match.group(1) not in FIELDS:
			found.append(f"Unknown field {{{{ {match.group(1)} }}}}")
	rest = FIELD.sub("", text)
	stray = TEMPLATE_SYNTAX.search(rest)
	if stray:
		at = max(stray.start() - 10, 0)
		found.append(f"Only {{{{ field }}}} may be used, near: {rest[at : stray.end() + 10]!r}")
	return found


def render(template: str | None, values: Mapping[str, object]) -> str:
	"""The text with each known field replaced by its value (empty when it has none). One pass: a value that
	itself looks like `{{ field }}` stays as it is."""

	def fill(match: re.Match) -> str:
		name = match.group(1)
		value = values.get(name) if name in FIELDS else None
		return "" if value is None else str(value)

	return FIELD.sub(fill, template or "")


def split_name(full_name: str | None) -> tuple[str, str]:
	parts = (full_name or "").split()
	if not parts:
		return "", ""
	return parts[0], " ".join(parts[1:])
