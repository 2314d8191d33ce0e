"""Message ids and QR codes at the edges of their rules."""

import pytest

from xappiens_whatsapp.core.inbox_hub_ids import MAX_QR_CHARS, qr_png_base64, short_message_id, strip_data_url

PNG_HEAD = "iVBORw0KGgo"  # the 8 bytes of the PNG signature, in base64


@pytest.mark.parametrize(
	"value, expected",
	[
		("true_34600000001@c.us_3EB0ABC", "3EB0ABC"),
		("false_34600000001@c.us_3EB0ABC_in", "3EB0ABC"),
		({"id": "", "_serialized": "false_34600000001@c.us_3EB0ABC_in"}, "3EB0ABC"),
		({"id": None, "_serialized": "3EB0ABC"}, "3EB0ABC"),
		("msg_1_2", "msg_1_2"),
		("maybe_34600000001@c.us_3EB0ABC", None),
		("false_34600000001_3EB0ABC", "false_34600000001_3EB0ABC"),
	],
)
def test_a_serialised_id_gives_its_key_id_and_anything_else_is_taken_whole(value, expected):
	assert short_message_id(value) == expected


def test_a_missing_data_url_is_empty_text():
	assert strip_data_url(None) == ""
	assert strip_data_url("  data:image/png;base64, AAAA ") == "AAAA"


def test_the_first_bytes_tell_a_png_even_unpadded():
	assert qr_png_base64(PNG_HEAD) == PNG_HEAD
	assert qr_png_base64(PNG_HEAD + "=") == PNG_HEAD + "="


def test_wrongly_padded_base64_is_refused():
	assert qr_png_base64(PNG_HEAD + "==") is None


def test_a_qr_code_may_be_as_long_as_the_limit_and_no_longer():
	longest = PNG_HEAD + "A" * (MAX_QR_CHARS - len(PNG_HEAD))
	assert qr_png_base64(longest) == longest
	assert qr_png_base64(longest + "A") is None
