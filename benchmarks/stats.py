"""Summaries of repeated measurements: medians with their spread, and same-run ratios.

These machines are noisy, so a figure is never a single run: it is the median of several,
reported with the interquartile range, and comparisons are ratios of medians measured side by
side in the same run (interleaved where possible, so drift hits both sides alike).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Summary:
    median: float
    p25: float
    p75: float
    p95: float
    minimum: float
    maximum: float
    n: int
    unit: str

    @classmethod
    def of(cls, samples: Sequence[float], unit: str) -> Summary:
        if not samples:
            raise ValueError("no samples")
        ordered = sorted(samples)
        return cls(
            median=statistics.median(ordered),
            p25=_quantile(ordered, 0.25),
            p75=_quantile(ordered, 0.75),
            p95=_quantile(ordered, 0.95),
            minimum=ordered[0],
            maximum=ordered[-1],
            n=len(ordered),
            unit=unit,
        )

    @property
    def spread(self) -> float:
        """Interquartile range relative to the median."""
        return (self.p75 - self.p25) / self.median if self.median else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spread": self.spread}

    def text(self, digits: int = 2) -> str:
        d = digits
        return (
            f"{self.median:.{d}f} {self.unit} (IQR {self.p25:.{d}f}..{self.p75:.{d}f}, n={self.n})"
        )


def ratio(numerator: Summary, denominator: Summary) -> float:
    return numerator.median / denominator.median if denominator.median else float("inf")


def _quantile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default)."""
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
