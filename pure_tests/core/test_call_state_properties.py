"""The merge is a join: any order of the same updates gives one snapshot, and a repeat changes nothing."""

import itertools

from call_updates import S, at, fold
from hypothesis import given, settings
from hypothesis import strategies as st

from xappiens_whatsapp.core.call_state import (
	TERMINAL_STATES,
	CallSnapshot,
	CallState,
	CallUpdate,
	apply,
	as_snapshot,
	join,
)

states = st.one_of(st.none(), st.sampled_from(list(CallState)))
small_text = st.one_of(st.none(), st.sampled_from(["ANSWER", "BUSY", "CANCEL", "x", "y"]))
times = st.one_of(st.none(), st.integers(0, 120).map(at))
numbers = st.one_of(st.none(), st.integers(0, 300))

updates = st.builds(
	CallUpdate,
	state=states,
	inferred=st.booleans(),
	raw_status=small_text,
	source=st.one_of(st.none(), st.sampled_from(["launch", "control", "report", "dial", "timeout"])),
	closed=st.booleans(),
	ring_deadline=times,
	unknown_value=st.one_of(st.none(), st.sampled_from(["WEIRD", "ODD"])),
	started_at=times,
	answered_at=times,
	ended_at=times,
	duration=numbers,
	talk_time=numbers,
	hangup_cause=st.one_of(st.none(), st.sampled_from(["16", "17", "NORMAL_CLEARING"])),
	recording_url=st.one_of(st.none(), st.sampled_from(["https://r/1.wav", "https://r/2.wav"])),
)
snapshots = st.lists(updates, max_size=4).map(fold)


@settings(max_examples=300)
@given(st.lists(updates, min_size=1, max_size=5))
def test_every_permutation_of_a_small_set_ends_in_the_same_snapshot(batch):
	finals = {fold(order) for order in itertools.permutations(batch)}
	assert len(finals) == 1


@settings(max_examples=300)
@given(st.lists(updates, max_size=12), st.randoms(use_true_random=False))
def test_shuffled_sequences_end_in_the_same_snapshot(batch, rnd):
	shuffled = list(batch)
	rnd.shuffle(shuffled)
	assert fold(shuffled) == fold(batch)


@settings(max_examples=300)
@given(st.lists(updates, max_size=8).flatmap(lambda xs: st.tuples(st.just(xs), st.permutations(xs))))
def test_hypothesis_permutations_agree(pair):
	batch, permuted = pair
	assert fold(permuted) == fold(batch)


@given(snapshots, updates)
def test_applying_twice_changes_nothing(snapshot, update):
	once = apply(snapshot, update)
	assert apply(once, update) == once


@given(snapshots, snapshots, snapshots)
def test_join_is_commutative_associative_idempotent(a, b, c):
	assert join(a, b) == join(b, a)
	assert join(join(a, b), c) == join(a, join(b, c))
	assert join(a, a) == a


real_updates = st.builds(
	CallUpdate,
	state=st.sampled_from(list(CallState)),
	raw_status=small_text,
	source=st.sampled_from([None, "launch", "control", "report", "dial"]),
	duration=numbers,
	talk_time=numbers,
	closed=st.booleans(),
)


@given(st.lists(real_updates, min_size=1, max_size=8))
def test_real_states_never_move_back_and_terminals_stick(batch):
	order = [S.INITIATED, S.RINGING, S.ANSWERED]
	snap = CallSnapshot()
	for update in batch:
		before = snap.state
		snap = apply(snap, update)
		if before in TERMINAL_STATES:
			assert snap.state in TERMINAL_STATES
		elif before is not None and snap.state in order:
			assert order.index(snap.state) >= order.index(before)


real_terminals = st.builds(
	CallUpdate,
	state=st.sampled_from(sorted(TERMINAL_STATES)),
	raw_status=small_text,
	source=st.sampled_from([None, "launch", "control", "report"]),
)


@given(st.lists(real_terminals, min_size=1, max_size=4), updates)
def test_a_real_terminal_only_gives_way_to_stronger_evidence(terminals, late):
	snap = fold(terminals)
	after = apply(snap, late)
	if after.state != snap.state:
		assert not late.inferred and late.state in TERMINAL_STATES
		assert strength(late.state, late.source) > strength(snap.state, snap.source)


def strength(state, source):
	"""Evidence first (a conversation, then the final CDR), then how specific the outcome is."""
	evidence = 3 if state is S.COMPLETED else 2 if source == "report" else 1
	return (evidence, [S.FAILED, S.NO_ANSWER, S.BUSY, S.COMPLETED].index(state))


@given(snapshots, updates)
def test_apply_accepts_a_snapshot_as_update(snapshot, update):
	assert apply(snapshot, as_snapshot(update)) == apply(snapshot, update)
