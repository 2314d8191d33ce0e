import itertools
from functools import reduce

from hypothesis import given, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.message_state import (
	AckScale,
	DeliveryState,
	MessageStatus,
	StatusUpdate,
	apply_status,
	merge_reactions,
	status_from_ack,
	status_from_word,
	visible_reactions,
)

S = MessageStatus


def fold(updates, start=None):
	return reduce(apply_status, updates, start or DeliveryState())


# The events one outbound message produces in real life: send response, message.sent, acks 1-3 (twice).
STORY = [
	StatusUpdate(S.SENT, at=100.0),
	StatusUpdate(S.SENT, at=100.5, raw_ack=1),
	StatusUpdate(S.DELIVERED, at=103.0, raw_ack=2),
	StatusUpdate(S.READ, at=160.0, raw_ack=3),
	StatusUpdate(S.READ, at=160.0, raw_ack=3),
]


def test_every_order_of_a_real_story_ends_in_the_same_row():
	finals = {fold(order) for order in itertools.permutations(STORY)}
	assert len(finals) == 1
	final = finals.pop()
	assert final.status == S.READ
	assert final.raw_ack == 3
	assert final.times == {"sent_at": 100.0, "delivered_at": 103.0, "read_at": 160.0}


def test_status_never_goes_back():
	state = fold([StatusUpdate(S.READ, at=5.0, raw_ack=3), StatusUpdate(S.DELIVERED, at=4.0, raw_ack=2)])
	assert state.status == S.READ
	assert state.raw_ack == 3
	# the earlier step's time is still recorded
	assert state.times["delivered_at"] == 4.0


def test_failed_is_terminal_in_any_order():
	updates = [StatusUpdate(S.SENT, at=1.0), StatusUpdate(S.FAILED, at=2.0, reason="not on WhatsApp")]
	for order in itertools.permutations([*updates, StatusUpdate(S.DELIVERED, at=3.0)]):
		state = fold(order)
		assert state.status == S.FAILED
		assert state.failure_reason == "not on WhatsApp"


def test_applying_twice_changes_nothing():
	for update in STORY:
		once = apply_status(DeliveryState(), update)
		assert apply_status(once, update) == once


updates_strategy = st.lists(
	st.builds(
		StatusUpdate,
		status=st.sampled_from(list(S)),
		at=st.none() | st.floats(min_value=0, max_value=1e9, allow_nan=False),
		raw_ack=st.none() | st.integers(-1, 5),
		reason=st.none() | st.sampled_from(["a", "b", "timeout"]),
	),
	max_size=7,
)


@settings(max_examples=3 * settings.default.max_examples)
@given(updates=updates_strategy, data=st.data())
def test_property_any_permutation_gives_the_same_state(updates, data):
	shuffled = data.draw(st.permutations(updates))
	assert fold(updates) == fold(shuffled)


@given(updates=updates_strategy)
def test_property_idempotent_and_monotone(updates):
	state = fold(updates)
	assert fold(updates + updates) == state
	ranks = [list(S).index(u.status) for u in updates]
	assert list(S).index(state.status) == max(ranks, default=0)


@given(left=updates_strategy, right=updates_strategy)
def test_property_merging_in_two_batches_is_the_same(left, right):
	assert fold(right, fold(left)) == fold(left + right)


def test_all_permutations_of_a_mixed_set_exhaustively():
	updates = [
		StatusUpdate(S.PENDING),
		StatusUpdate(S.SENT, at=10.0, raw_ack=1),
		StatusUpdate(S.DELIVERED, at=12.0, raw_ack=2),
		StatusUpdate(S.DELIVERED, at=11.0),
		StatusUpdate(S.READ, at=30.0, raw_ack=3),
		StatusUpdate(S.PLAYED, at=40.0, raw_ack=4),
	]
	finals = {fold(order) for order in itertools.permutations(updates)}
	assert len(finals) == 1
	assert finals.pop().times["delivered_at"] == 11.0


def test_ack_scales():
	assert [status_from_ack(a) for a in (-1, 0, 1, 2, 3, 4, 5)] == [
		S.FAILED,
		S.PENDING,
		S.SENT,
		S.DELIVERED,
		S.READ,
		S.PLAYED,
		None,
	]
	assert [status_from_ack(a, AckScale.BAILEYS) for a in (0, 1, 2, 3, 4, 5)] == [
		S.FAILED,
		S.PENDING,
		S.SENT,
		S.DELIVERED,
		S.READ,
		S.PLAYED,
	]
	assert status_from_ack("3") == S.READ
	assert status_from_ack("x") is None
	assert status_from_ack(None) is None


def test_status_words():
	assert status_from_word("DELIVERED") == S.DELIVERED
	assert status_from_word("server") == S.SENT
	assert status_from_word("nonsense") is None


def test_reactions_keep_the_latest_per_sender_in_any_order():
	events = [("a@s", "👍", 100), ("a@s", "❤️", 200), ("b@s", "😂", 150), ("a@s", "", 300)]
	results = set()
	for order in itertools.permutations(events):
		reactions = None
		for sender, emoji, ts in order:
			reactions = merge_reactions(reactions, sender, emoji, ts)
		results.add(tuple(sorted(visible_reactions(reactions).items())))
	assert results == {(("b@s", "😂"),)}


def test_a_step_without_a_time_records_no_time_and_pending_has_no_step():
	assert apply_status(DeliveryState(), StatusUpdate(S.SENT)).times == {}
	assert apply_status(DeliveryState(), StatusUpdate(S.PENDING, at=5.0)).times == {}


def test_reactions_at_the_same_time_keep_the_same_one_in_any_order():
	one = merge_reactions(merge_reactions(None, "a@s", "👍", 100), "a@s", "😂", 100)
	other = merge_reactions(merge_reactions(None, "a@s", "😂", 100), "a@s", "👍", 100)
	assert one == other == {"a@s": {"emoji": "😂", "ts": 100}}


def test_a_repeated_reaction_leaves_the_stored_one_as_it_was():
	stored = {"a@s": {"emoji": "👍", "ts": "100"}}
	assert merge_reactions(stored, "a@s", "👍", 100) == stored


def test_a_stored_reaction_missing_its_time_or_emoji_counts_as_time_zero_and_no_emoji():
	assert merge_reactions({"a@s": {"emoji": "👍"}}, "a@s", "", 1) == {"a@s": {"emoji": "", "ts": 1}}
	assert merge_reactions({"a@s": {"ts": 100}}, "a@s", "1️⃣", 100) == {"a@s": {"emoji": "1️⃣", "ts": 100}}
	assert merge_reactions({"a@s": {"ts": 100}}, "a@s", "", 100) == {"a@s": {"ts": 100}}
