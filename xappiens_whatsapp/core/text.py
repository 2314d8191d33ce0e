"""Strings from outside, made safe to store: plain text that no view can take for markup, and URLs worth a link.

Frappe's own views (list and report columns, Link labels, read-only Small Text) put stored strings into the page
as HTML, and `set_value` or raw SQL store them without Frappe's sanitiser. So every string a provider, a customer
or a gateway hands us goes through `plain` (or `one_line`) before it is stored, whichever path writes it.

`plain` changes as little as it can: in HTML, only a `<` followed by a letter, `/`, `!` or `?` opens markup (a
tag, an end tag, a comment, a declaration); that `<` becomes `‹`, so "Tom <3" and "a < b" are kept as they are
and "<img …>" reads as "‹img …>". Text that is not valid Unicode (lone surrogates, which JSON can carry) and
control characters are replaced, so the database never refuses the string.
"""

from __future__ import annotations

import re
from typing import Any

TAG_OPENER = re.compile(r"<(?=[A-Za-z/!?])")
SAFE_OPENER = "\u2039"  # ‹
# Lone surrogates (JSON's "\ud800"), C0 controls but tab, newline and carriage return, DEL and C1 controls.
_INVALID = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAKS = re.compile(r"\s*[\r\n\t\u2028\u2029]+\s*")
REPLACEMENT = "\ufffd"


def plain(value: Any, limit: int | None = None) -> str | None:
	"""`value` as plain text (None for anything that is not a non-blank string or a number), at most `limit`
	characters."""
	if isinstance(value, bool) or value is None:
		return None
	if isinstance(value, int | float):
		value = str(value)
	if not isinstance(value, str):
		return None
	text = _INVALID.sub(REPLACEMENT, value).strip()
	if not text:
		return None
	text = TAG_OPENER.sub(SAFE_OPENER, text)
	if limit is not None and len(text) > limit:
		# A cut can leave a `<` at the end, which opens nothing; cutting never joins two characters into one.
		text = text[:limit].rstrip()
	return text or None


def one_line(value: Any, limit: int | None = None) -> str | None:
	"""`plain`, with line breaks and tabs folded into single spaces: for names, labels and reasons."""
	text = plain(value)
	if text is None:
		return None
	return plain(_LINE_BREAKS.sub(" ", text), limit)


def has_markup(text: str | None) -> bool:
	"""True when `text` would open an HTML tag, end tag, comment or declaration if put into a page."""
	return bool(text) and TAG_OPENER.search(text) is not None
