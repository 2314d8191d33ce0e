"""Fixtures shared by the tests of core/."""

import os
import time

import pytest


@pytest.fixture(params=["UTC", "Europe/Madrid", "America/St_Johns", "Pacific/Kiritimati"])
def local_zone(request):
	"""Runs the test with the process in another local time zone: the parsers must not depend on it."""
	before = os.environ.get("TZ")
	os.environ["TZ"] = request.param
	time.tzset()
	assert request.param == "UTC" or time.localtime(1760423400).tm_gmtoff != 0, "this machine lacks tzdata"
	yield request.param
	if before is None:
		del os.environ["TZ"]
	else:
		os.environ["TZ"] = before
	time.tzset()
