"""Latency statistics kept in constant memory, whatever the number of relayed lines.

A log-linear histogram of microseconds: exact below 128 µs, then 64 buckets per power of two, so a
percentile is known within 1.6 %. The maximum is kept exactly. Twenty million lines (1000 clients x 20
messages) cost a few kilobytes instead of a sorted list of twenty million numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

EXACT_BELOW_US = 128
_SUB_BITS = 6  # 2**6 = 64 buckets per power of two above EXACT_BELOW_US
_BUCKETS = 64 * 64
PERCENTILES = (50, 95, 99)


def bucket_of(us: int) -> int:
    """Index of the bucket holding a latency of `us` microseconds (monotone in `us`)."""
    if us < EXACT_BELOW_US:
        return us
    shift = us.bit_length() - (_SUB_BITS + 1)
    return (shift << _SUB_BITS) + (us >> shift)


def bucket_middle(index: int) -> float:
    """The latency (µs) a bucket stands for: the middle of the values it holds."""
    if index < EXACT_BELOW_US:
        return float(index)
    shift = (index >> _SUB_BITS) - 1
    mantissa = index - (shift << _SUB_BITS)
    return ((mantissa << shift) + ((mantissa + 1) << shift) - 1) / 2


class LatencyHistogram:
    """Counts of latencies (µs) per bucket, with their exact maximum."""

    def __init__(self) -> None:
        self.counts = [0] * _BUCKETS
        self.total = 0
        self.max_us = 0

    def add_all(self, values_us: list[int]) -> None:
        """Count these latencies. The hot path of the generator: `bucket_of` is inlined here."""
        if not values_us:
            return
        counts = self.counts
        for us in values_us:
            if us < EXACT_BELOW_US:
                counts[us] += 1
            else:
                shift = us.bit_length() - (_SUB_BITS + 1)
                counts[(shift << _SUB_BITS) + (us >> shift)] += 1
        self.total += len(values_us)
        self.max_us = max(self.max_us, max(values_us))

    def percentile_us(self, percent: float) -> float:
        """The smallest latency at or above which `percent` % of the lines arrived (0 when empty)."""
        if not self.total:
            return 0.0
        rank = max(1, -(-self.total * percent // 100))  # ceil, at least the first line
        seen = 0
        for index, count in enumerate(self.counts):
            seen += count
            if seen >= rank:
                return min(bucket_middle(index), float(self.max_us))
        return float(self.max_us)

    def summary_ms(self) -> dict[str, float]:
        """p50, p95, p99 and max in milliseconds, rounded to 0.01 ms."""
        figures = {f"p{p}": self.percentile_us(p) / 1000 for p in PERCENTILES}
        figures["max"] = self.max_us / 1000
        return {key: round(value, 2) for key, value in figures.items()}


def exact_percentile(values: Sequence[float], percent: float) -> float:
    """Nearest-rank percentile of a small list (0 when empty)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * percent // 100))
    return ordered[int(rank) - 1]
