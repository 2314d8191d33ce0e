"""Why a delivery is unreadable: the reason is stored with it, so an admin can see what was wrong."""

import pytest

from xappiens_whatsapp.core.netelip_events import ParseError, load_json


def test_deeply_nested_json_is_a_parse_error():
	with pytest.raises(ParseError):
		load_json(b"[" * 100_000 + b"]" * 100_000)
