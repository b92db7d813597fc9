"""Plain-text tables and bar charts: readable in any terminal, no dependency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], width: int = 60) -> str:
    if not rows:
        return "(none)"
    cells = [[_cell(row.get(col), width) for col in columns] for row in rows]
    widths = [max(len(col), *(len(r[i]) for r in cells)) for i, col in enumerate(columns)]
    lines = ["  ".join(col.ljust(w) for col, w in zip(columns, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def bars(points: Sequence[tuple[str, float]], width: int = 40) -> str:
    """A horizontal bar chart: one labelled bar per point, scaled to the largest value."""
    if not points:
        return "(no data)"
    top = max(value for _, value in points) or 1
    label_width = max(len(label) for label, _ in points)
    return "\n".join(
        f"{label.ljust(label_width)} {'█' * round(width * value / top):<{width}} {value:g}"
        for label, value in points
    )


def _cell(value: Any, width: int) -> str:
    text = "" if value is None else str(value).replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"
