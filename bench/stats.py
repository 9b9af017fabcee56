"""Statistics the benches share (no Django, no torch)."""

from __future__ import annotations

import math


def median_interval(values: list[float], level: float = 0.9) -> tuple[float, float, float]:
    """A distribution-free confidence interval for the median of ``values`` (sorted): the k-th
    smallest and k-th largest, k the largest rank whose interval still covers the median with
    probability >= ``level`` (binomial order statistics; it assumes nothing about the noise).
    Returns (low, high, the interval's own coverage)."""
    n = len(values)
    best = (values[0], values[-1], 1 - 2 * 0.5**n)
    for k in range(1, n // 2 + 1):
        coverage = 1 - 2 * sum(math.comb(n, i) for i in range(k)) / 2**n
        if coverage < level:
            break
        best = (values[k - 1], values[n - k], coverage)
    return best
