import random

import pytest

from bench.stats import median_interval


def test_the_median_interval_takes_the_order_statistics_of_its_coverage():
    values = [i / 100 for i in range(15)]  # 15 pairs: the 4th and 12th cover the median with 96.5%
    low, high, coverage = median_interval(values)
    assert (low, high) == (0.03, 0.11)
    assert coverage == pytest.approx(1 - 2 * (1 + 15 + 105 + 455) / 2**15)
    # fewer values, or a stricter level: wider
    assert median_interval(values[:5])[:2] == (0.0, 0.04)
    assert median_interval(values, level=0.99)[:2] == (0.02, 0.12)


def test_the_median_interval_covers_the_true_median_as_often_as_it_says():
    rng = random.Random(0)
    trials, hits = 2000, 0
    for _ in range(trials):
        low, high, coverage = median_interval(sorted(rng.gauss(0.97, 0.03) for _ in range(15)))
        hits += low <= 0.97 <= high
    assert hits / trials >= coverage - 0.02
