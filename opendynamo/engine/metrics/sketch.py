"""A mergeable summary of a metric's values for percentiles (CloudWatch's `pNN` statistics).

Values fall into logarithmic bins whose width is 2% of their value (the DDSketch idea: a
percentile read from the bins is within 1% of the true value), so a sketch stays small
whatever the number of samples, and the sketches of several workers and minutes merge by
adding their bins' counts. Zero and negative values (PutMetricData allows both) have bins of
their own.
"""

from __future__ import annotations

import math
from bisect import bisect_right

GAMMA = 1.02
_LOG_GAMMA = math.log(GAMMA)
ZERO = 1 << 40  # the bin of 0 (and of values too small to tell from it)
SMALLEST = 1e-9

Bins = dict[int, int]


def bin_of(value: float) -> int:
    """The bin of `value`: even keys for positive values, odd ones for negative ones."""
    magnitude = abs(value)
    if magnitude < SMALLEST:
        return ZERO
    index = math.ceil(math.log(magnitude) / _LOG_GAMMA)
    return index * 2 if value > 0 else index * 2 + 1


def positive_bins(values: list[float], low: float, high: float) -> Bins:
    """The bins of many values, all above SMALLEST, from `low` to `high`: sorted once, then
    counted between consecutive bin bounds (a binary search per bin the values span, not a
    logarithm per value: a flush bins thousands of latencies this way)."""
    ordered = sorted(values)
    first, last = bin_of(low) // 2, bin_of(high) // 2
    counts: Bins = {}
    at = 0
    for index in range(first, last + 1):
        end = len(ordered) if index == last else bisect_right(ordered, GAMMA**index, at)
        if end > at:
            counts[index * 2] = end - at
            at = end
    return counts


def value_of(key: int) -> float:
    """The value a bin stands for: the middle of its range, in relative terms."""
    if key == ZERO:
        return 0.0
    index, negative = divmod(key, 2)
    magnitude = 2 * GAMMA**index / (GAMMA + 1)
    return -magnitude if negative else magnitude


def add(bins: Bins, value: float, count: int = 1) -> None:
    key = bin_of(value)
    bins[key] = bins.get(key, 0) + count


def merge(into: Bins, other: Bins) -> None:
    for key, count in other.items():
        into[key] = into.get(key, 0) + count


def percentile(bins: Bins, fraction: float, low: float, high: float) -> float | None:
    """The value below which `fraction` (0..1) of the samples lie, clamped to the samples'
    minimum and maximum (which the sketch's caller knows exactly); None without samples."""
    total = sum(bins.values())
    if total == 0:
        return None
    rank = fraction * total
    seen = 0
    ordered = sorted(bins, key=value_of)
    for key in ordered:
        seen += bins[key]
        if seen >= rank:
            return min(max(value_of(key), low), high)
    return high


def encode(bins: Bins) -> list[list[int]]:
    """The bins as stored (JSON: a list of [key, count] pairs)."""
    return [[key, count] for key, count in bins.items()]


def decode(pairs: list[list[int]]) -> Bins:
    return {int(key): int(count) for key, count in pairs}
