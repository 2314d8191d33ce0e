"""Turns, first responses and response times on conversations whose answers are known."""

from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from xappiens_whatsapp.core.response_times import Message, opened_per_day, summarise, turns

T0 = datetime(2026, 12, 1, 9, 0)


def msg(conversation, minutes, from_me, by=None, session="n1"):
	return Message(conversation, session, T0 + timedelta(minutes=minutes), from_me, by)


def test_a_turn_runs_from_the_first_unanswered_question_to_the_reply():
	found = turns(
		[
			msg("c1", 0, False),
			msg("c1", 2, False),  # the same turn: still waiting
			msg("c1", 5, True, "ana"),
			msg("c1", 6, True, "ana"),  # a second reply starts nothing
			msg("c1", 10, False),
			msg("c1", 40, True, "luis"),
			msg("c1", 50, False),  # never answered
		]
	)
	assert [(t.seconds, t.answered_by, t.opens_conversation) for t in found] == [
		(300.0, "ana", True),
		(1800.0, "luis", False),
		(None, None, False),
	]


def test_a_conversation_reopens_after_a_day_of_silence_and_our_first_words_open_nothing():
	found = turns(
		[
			msg("c2", 0, True, "ana"),  # we wrote first
			msg("c2", 3, False),  # the customer answers: the conversation was opened by us a moment ago
			msg("c2", 4, True, "ana"),
			msg("c2", 4 + 24 * 60, False),  # a day later: a new conversation
			msg("c2", 4 + 24 * 60 + 10, True, "luis"),
		]
	)
	assert [t.opens_conversation for t in found] == [False, True]
	summary = summarise(found)
	assert (summary.opened, summary.first_response_avg, summary.response_avg) == (1, 600.0, 330.0)
	assert opened_per_day(found) == {"2026-12-02": 1}


def test_summary_counts_and_medians():
	found = turns(
		[
			msg("a", 0, False),
			msg("a", 1, True, "x"),
			msg("b", 0, False),
			msg("b", 3, True, "x"),
			msg("c", 0, False),
		]
	)
	s = summarise(found)
	assert (s.opened, s.first_responses, s.turns, s.answered, s.unanswered) == (3, 2, 3, 2, 1)
	assert (s.first_response_avg, s.first_response_median) == (120.0, 120.0)
	assert summarise([]).response_avg is None


@given(st.lists(st.tuples(st.sampled_from("pq"), st.integers(0, 5000), st.booleans()), max_size=40))
def test_every_customer_message_belongs_to_exactly_one_turn_and_replies_come_after(rows):
	messages = [msg(c, m, me, "a") for c, m, me in rows]
	found = turns(messages)
	for turn in found:
		assert turn.answered_at is None or turn.answered_at >= turn.asked_at
	for conversation in "pq":
		mine = sorted((m for m in messages if m.conversation == conversation), key=lambda m: m.at)
		starts = sum(1 for i, m in enumerate(mine) if not m.from_me and (i == 0 or mine[i - 1].from_me))
		assert len([t for t in found if t.conversation == conversation]) == starts
