from xappiens_whatsapp.core.netelip_answers import HANGUP, NO_INSTRUCTION, ControlAnswer, dial


def test_what_netelip_reads():
	assert HANGUP.to_netelip() == {"command": "hangup"}
	assert NO_INSTRUCTION.to_netelip() == {}
	assert dial("extension", "101", 30, 7200).to_netelip() == {
		"command": "dial",
		"options": "extension,101,30,calling,7200",
	}
	assert dial("pstn", "0034600000001", 25, 600, "xw-ref").to_netelip() == {
		"command": "dial",
		"options": "pstn,0034600000001,25,calling,600",
		"userfield": "xw-ref",
	}


def test_what_the_app_keeps_leaves_the_line_dialled_out():
	stored = dial("pstn", "0034600000001", 25, 600, "xw-ref").stored()
	assert stored == {"answer_command": "dial", "answer_line": "pstn", "answer_ring_seconds": 25}
	again = ControlAnswer.from_stored(stored)
	assert (again.dial_ring_seconds, again.dials_public_number, again.target) == (25, True, None)
	assert HANGUP.stored()["answer_ring_seconds"] == 0
	assert ControlAnswer.from_stored(HANGUP.stored()) == HANGUP
	assert ControlAnswer.from_stored({}) == NO_INSTRUCTION


def test_only_a_dial_rings_and_only_a_public_dial_reaches_the_customer():
	assert (HANGUP.dial_ring_seconds, NO_INSTRUCTION.dial_ring_seconds) == (None, None)
	assert ControlAnswer("hangup", ring_seconds=30).dial_ring_seconds is None
	assert not dial("extension", "101", 30, 7200).dials_public_number
	assert not ControlAnswer("hangup", "pstn").dials_public_number
