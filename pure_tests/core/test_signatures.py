import hashlib
import hmac
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.signatures import (
	is_fresh,
	matching_secret,
	serialise,
	sign,
	signature_matches,
	to_epoch_seconds,
)

SECRET = "s3cret-for-tests-0123456789"
BODY = b'{"event":"message.received","sessionId":"crm_main","data":{}}'


def hexdigest(body: bytes, secret: str) -> str:
	return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_sign_is_prefixed_lowercase_hex_of_raw_bytes():
	assert sign(BODY, SECRET) == "sha256=" + hexdigest(BODY, SECRET)


def test_prefix_is_optional_and_case_insensitive():
	digest = hexdigest(BODY, SECRET)
	assert signature_matches(BODY, digest, [SECRET])
	assert signature_matches(BODY, "sha256=" + digest, [SECRET])
	assert signature_matches(BODY, "SHA256=" + digest.upper(), [SECRET])
	assert signature_matches(BODY, "  sha256=" + digest + " ", [SECRET])


def test_fails_closed_without_header_or_secret():
	good = sign(BODY, SECRET)
	assert not signature_matches(BODY, None, [SECRET])
	assert not signature_matches(BODY, "", [SECRET])
	assert not signature_matches(BODY, good, [])
	assert not signature_matches(BODY, good, [None, ""])


def test_wrong_secret_and_tampered_body_rejected():
	good = sign(BODY, SECRET)
	assert not signature_matches(BODY, good, ["another-secret-0123456789"])
	assert not signature_matches(BODY + b" ", good, [SECRET])
	assert not signature_matches(BODY.replace(b"crm_main", b"crm_evil"), good, [SECRET])


def test_reserialised_body_does_not_verify():
	# The gateway signs compact JSON; a receiver that re-serialises with spaces would never match.
	spaced = b'{"event": "message.received", "sessionId": "crm_main", "data": {}}'
	assert not signature_matches(spaced, sign(BODY, SECRET), [SECRET])


def test_rotation_accepts_old_and_new_secret():
	old, new = "old-secret-0123456789", "new-secret-9876543210"
	assert signature_matches(BODY, sign(BODY, old), [new, old])
	assert signature_matches(BODY, sign(BODY, new), [new, old])
	assert not signature_matches(BODY, sign(BODY, old), [new])


def test_matching_secret_tells_which_one_signed():
	old, new = "old-secret-0123456789", "new-secret-9876543210"
	assert matching_secret(BODY, sign(BODY, new), [new, old]) == 0
	assert matching_secret(BODY, sign(BODY, old), [new, old]) == 1
	assert matching_secret(BODY, sign(BODY, old), [None, "", old]) == 2
	assert matching_secret(BODY, sign(BODY, old), [new]) is None
	assert matching_secret(BODY, None, [new]) is None


def test_garbage_signature_values_are_false_not_errors():
	for value in ["sha256=", "sha256=zz", "ñ" * 64, "sha256=" + "0" * 64, "x" * 10_000]:
		assert not signature_matches(BODY, value, [SECRET])


@given(body=st.binary(max_size=2048), secret=st.text(min_size=1, max_size=64))
def test_property_own_signature_always_verifies(body, secret):
	assert signature_matches(body, sign(body, secret), [secret])


@given(body=st.binary(max_size=512), secret=st.text(min_size=1, max_size=32), flip=st.integers(0, 63))
def test_property_any_changed_hex_digit_fails(body, secret, flip):
	digest = hexdigest(body, secret)
	changed = digest[:flip] + ("0" if digest[flip] != "0" else "1") + digest[flip + 1 :]
	assert not signature_matches(body, changed, [secret])


@given(body=st.binary(max_size=512), a=st.text(min_size=1, max_size=32), b=st.text(min_size=1, max_size=32))
def test_property_signature_under_other_secret_fails(body, a, b):
	if a.encode() != b.encode():
		assert not signature_matches(body, sign(body, a), [b])


def test_epoch_reading_of_every_form():
	assert to_epoch_seconds(1729443600) == 1729443600
	assert to_epoch_seconds(1729443600000) == 1729443600
	assert to_epoch_seconds("1729443600000") == 1729443600
	assert to_epoch_seconds("2025-10-14T06:30:00.000Z") == 1760423400
	assert to_epoch_seconds("2025-10-14T06:30:00") == 1760423400
	for bad in [None, "", "yesterday", True, [], {}, float("nan"), "inf"]:
		assert to_epoch_seconds(bad) is None


def test_freshness_window_in_both_directions():
	now = time.time()
	assert is_fresh(int(now * 1000), now, 300)
	assert is_fresh(int((now - 299) * 1000), now, 300)
	assert not is_fresh(int((now - 301) * 1000), now, 300)
	assert not is_fresh(int((now + 301) * 1000), now, 300)
	assert not is_fresh("not a time", now, 300)


@given(offset=st.floats(min_value=-10_000, max_value=10_000))
def test_property_freshness_matches_distance(offset):
	now = 1_800_000_000.0
	assert (
		is_fresh((now + offset) * 1000, now, 300) == (abs(offset) <= 300 + 1e-6)
		or abs(abs(offset) - 300) < 1e-3
	)


def test_the_signed_bytes_are_compact_utf8_json():
	assert serialise({"a": 1, "b": [1, 2], "name": "María"}) == '{"a":1,"b":[1,2],"name":"María"}'.encode()


@pytest.mark.parametrize(
	"value, seconds",
	[
		(946_684_800, 946_684_800.0),  # 2000-01-01, the earliest
		(4_102_444_800, 4_102_444_800.0),  # 2100-01-01, the latest
		(946_684_799, None),
		(4_102_444_801, None),
		(1e12, None),  # up to 1e12 a number is seconds (here: far beyond 2100)
		(1_000_000_000_000.5, 1_000_000_000.0005),  # above, milliseconds
		("2025-10-14T08:30:00+02:00", 1760423400.0),
		("2025-10-14T06:30:00.000Z", 1760423400.0),
	],
)
def test_epoch_bounds_units_and_offsets(value, seconds):
	assert to_epoch_seconds(value) == seconds


def test_a_time_without_a_zone_is_utc_whatever_the_local_zone(local_zone):
	assert to_epoch_seconds("2025-10-14T06:30:00") == 1760423400
	assert to_epoch_seconds("2025-10-14T06:30:00.000Z") == 1760423400


def test_the_freshness_window_includes_its_edges():
	now = 1_800_000_000.0
	assert is_fresh(now - 300, now, 300) and is_fresh(now + 300, now, 300)
