"""One period's summary of a metric's samples: what CloudWatch keeps of a datapoint (sum,
sample count, minimum, maximum) plus a sketch for percentiles. Aggregates of several writers,
minutes or resolutions merge into one."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Hashable
from typing import Any, Protocol, TypeVar

from opendynamo.engine.metrics import sketch

Key = TypeVar("Key", bound=Hashable)
PERCENTILE = re.compile(r"^p(\d{1,2}(\.\d{1,10})?|100)$")


class Aggregate:
    __slots__ = ("sum", "count", "low", "high", "bins")

    def __init__(self) -> None:
        self.sum = 0.0
        self.count = 0.0
        self.low = float("inf")
        self.high = float("-inf")
        self.bins: sketch.Bins = {}

    def add(self, value: float, count: float = 1.0) -> None:
        self.sum += value * count
        self.count += count
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value
        sketch.add(self.bins, value, int(count))

    def add_many(self, values: list[float]) -> None:
        """Many samples at once (a flush's): the builtins do the summing, and positive
        samples are binned after one sort (`sketch.positive_bins`)."""
        if not values:
            return
        self.sum += sum(values)
        self.count += len(values)
        low, high = min(values), max(values)
        if low < self.low:
            self.low = low
        if high > self.high:
            self.high = high
        if low > sketch.SMALLEST:  # all positive (latencies, units): counted bin by bin
            sketch.merge(self.bins, sketch.positive_bins(values, low, high))
        else:
            sketch.merge(self.bins, Counter(map(sketch.bin_of, values)))

    def add_summary(self, total: float, count: float, low: float, high: float) -> None:
        """A StatisticSet (PutMetricData): the samples are known only by their summary, so the
        sketch gets the mean for each (percentiles of such data are approximate on AWS too)."""
        self.sum += total
        self.count += count
        self.low = min(self.low, low)
        self.high = max(self.high, high)
        if count >= 1:
            sketch.add(self.bins, total / count, int(count))

    def merge(self, other: Aggregate) -> None:
        self.sum += other.sum
        self.count += other.count
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        sketch.merge(self.bins, other.bins)

    def statistic(self, name: str) -> float | None:
        """Sum, SampleCount, Average, Minimum, Maximum or a percentile `pNN`; None when it has
        no value (no samples)."""
        if self.count <= 0:
            return None
        if name == "Sum":
            return self.sum
        if name == "SampleCount":
            return self.count
        if name == "Average":
            return self.sum / self.count
        if name == "Minimum":
            return self.low
        if name == "Maximum":
            return self.high
        if PERCENTILE.match(name):
            return sketch.percentile(self.bins, float(name[1:]) / 100, self.low, self.high)
        raise ValueError(f"not a statistic: {name}")

    def encode(self) -> list[Any]:
        return [self.sum, self.count, self.low, self.high, sketch.encode(self.bins)]

    @classmethod
    def decode(cls, data: list[Any]) -> Aggregate:
        out = cls()
        out.sum, out.count, out.low, out.high = (float(v) for v in data[:4])
        out.bins = sketch.decode(data[4])
        return out


class Mergeable(Protocol):
    def merge(self, other: Any, /) -> None: ...


Found = TypeVar("Found", bound=Mergeable)


def gather(found: dict[Key, Found], key: Key, value: Found) -> None:
    """Add `value` under `key`: the first one as it is, the next ones merged into it (the
    rows of several writers, or of several periods, that make one figure)."""
    have = found.get(key)
    if have is None:
        found[key] = value
    else:
        have.merge(value)


def merged(aggregates: list[Aggregate]) -> Aggregate:
    out = Aggregate()
    for aggregate in aggregates:
        out.merge(aggregate)
    return out
