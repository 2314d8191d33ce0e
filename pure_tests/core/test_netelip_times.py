"""`startcall` read as Madrid local time (or an explicit offset, or epoch seconds) and kept only inside a
plausible window."""

from datetime import UTC, datetime, timedelta

import pytest

from xappiens_whatsapp.core.netelip_events import (
	EARLIEST_START,
	LATEST_START_AHEAD,
	madrid_to_utc,
	parse_control,
)


def utc(*args):
	return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
	("local", "expected"),
	[
		("2019-11-12 11:04:26", utc(2019, 11, 12, 10, 4, 26)),  # winter, UTC+1
		("2024-07-01 10:00:00", utc(2024, 7, 1, 8, 0, 0)),  # summer, UTC+2
		("2024-03-31 01:59:59", utc(2024, 3, 31, 0, 59, 59)),  # just before the spring change
		("2024-03-31 03:00:00", utc(2024, 3, 31, 1, 0, 0)),  # just after it
		("2024-10-27 02:30:00", utc(2024, 10, 27, 0, 30, 0)),  # repeated hour: first (summer) reading
		("2024-10-27 03:30:00", utc(2024, 10, 27, 2, 30, 0)),
		("2024-07-01T10:00:00", utc(2024, 7, 1, 8, 0, 0)),
		("2024-07-01T10:00:00+00:00", utc(2024, 7, 1, 10, 0, 0)),
		("2024-07-01T10:00:00Z", utc(2024, 7, 1, 10, 0, 0)),
		("2024-07-01T10:00:00z", utc(2024, 7, 1, 10, 0, 0)),
		("1719820800", utc(2024, 7, 1, 8, 0, 0)),
		("not a date", None),
		("", None),
		(None, None),
	],
)
def test_startcall_is_madrid_local_time(local, expected):
	assert madrid_to_utc(local) == expected


def test_started_at_is_aware_utc():
	started = parse_control({"ID": "1.1", "startcall": "2024-07-01 10:00:00"}).started_at
	assert started is not None
	assert started.utcoffset().total_seconds() == 0


def test_a_start_time_is_utc_whatever_the_machine_s_zone(local_zone):
	started = madrid_to_utc("2024-07-01 10:00:00")
	assert (started, started.utcoffset()) == (utc(2024, 7, 1, 8, 0), timedelta(0))


def test_a_start_time_is_judged_against_the_time_given():
	then = utc(2024, 7, 1, 8, 0)
	assert madrid_to_utc("2024-07-02 09:00:00", now=then) == utc(2024, 7, 2, 7, 0)
	assert madrid_to_utc("2024-07-02 11:00:00", now=then) is None


def test_the_start_window_includes_its_edges():
	then = utc(2024, 7, 1, 8, 0)
	assert madrid_to_utc("2000-01-01T00:00:00+00:00", now=then) == EARLIEST_START
	assert madrid_to_utc("1999-12-31T23:59:59+00:00", now=then) is None
	assert madrid_to_utc("2024-07-02T08:00:00+00:00", now=then) == then + LATEST_START_AHEAD
	assert madrid_to_utc("2024-07-02T08:00:01+00:00", now=then) is None


def test_a_start_time_may_be_written_in_up_to_64_characters():
	epoch = "1719820800." + "0" * 53
	assert len(epoch) == 64
	assert madrid_to_utc(epoch) == utc(2024, 7, 1, 8, 0)
	assert madrid_to_utc(epoch + "0") is None
