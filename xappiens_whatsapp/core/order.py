"""Helpers for order-free merges: the smaller or larger of two values, where None means "not known yet"."""

from typing import Any


def min_present(a: Any, b: Any) -> Any:
	return b if a is None else a if b is None else min(a, b)


def max_present(a: Any, b: Any) -> Any:
	return b if a is None else a if b is None else max(a, b)
