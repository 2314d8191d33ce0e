"""What real providers do to the simulator's stream: reordering within a window, and retries of the same
delivery a little later (see simulator.py)."""

from __future__ import annotations

import random
from collections import defaultdict

from xappiens_whatsapp.testing.sim_delivery import Delivery


def shuffle_windows(items: list, window: int, rng: random.Random) -> list:
	"""Deliveries reordered within each window, as a provider's concurrent posts arrive."""
	if window < 2:
		return list(items)
	out = []
	for i in range(0, len(items), window):
		chunk = items[i : i + window]
		rng.shuffle(chunk)
		out += chunk
	return out


RETRY_SPREAD = 10  # a retry goes out before this many other deliveries have followed its first sending


def with_retries(stream: list[Delivery], share: float, rng: random.Random) -> list[Delivery]:
	"""A retried delivery goes out again a little later, as a provider's retry after a lost answer. One pass:
	each retry is due a few positions after its first sending and goes out when the stream gets there."""
	if share <= 0:
		return list(stream)
	out: list[Delivery] = []
	due: dict[int, list[Delivery]] = defaultdict(list)
	for position, delivery in enumerate(stream):
		out.append(delivery)
		if rng.random() < share:
			due[position + rng.randint(0, RETRY_SPREAD - 1)].append(delivery)
		out += due.pop(position, ())
	for position in sorted(due):  # due past the end of the stream
		out += due[position]
	return out
