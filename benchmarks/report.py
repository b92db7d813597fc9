"""The benchmark report: one JSON document and its Markdown rendering.

`results/` (git-ignored) keeps every run; `benchmarks/README.md` carries the summary of the
latest full run (and of the latest run on Google's emulators) between markers, so the committed
numbers always come from a real run.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


@dataclass
class Section:
    """One benchmark's findings: a table of rows, notes, and targets met or missed."""

    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    """The section's name on the command line (`--only`), set by the runner."""
    seconds: float = 0.0
    """Wall time the section took, seeding included."""

    def target(self, name: str, value: float, limit: float, unit: str = "") -> None:
        """Record a target honestly: the report says MISSED where it is."""
        self.targets.append(
            {"name": name, "value": value, "limit": limit, "unit": unit, "met": value <= limit}
        )


@dataclass
class Report:
    quick: bool
    emulators: str = "ours"
    """Whose Firestore and Pub/Sub emulators: "ours" or "official" (Google's, via gcloud)."""
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    sections: list[Section] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stack_seconds: float | None = None
    total_seconds: float | None = None
    load_at_start: float = field(default_factory=lambda: os.getloadavg()[0])

    @property
    def official(self) -> bool:
        return self.emulators == "official"

    def section(self, key: str) -> Section | None:
        return next((s for s in self.sections if s.key == key), None)

    def machine(self) -> dict[str, Any]:
        return {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": _cpu_model(),
            "cores": os.cpu_count(),
            "memory_gb": _memory_gb(),
            "load_average_at_start": round(self.load_at_start, 2),
            "load_average_now": round(os.getloadavg()[0], 2),
            "commit": _git_commit(),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "quick": self.quick,
            "emulators": self.emulators,
            "machine": self.machine(),
            "stack_seconds": self.stack_seconds,
            "total_seconds": self.total_seconds,
            "sections": [vars(s) for s in self.sections],
            "errors": self.errors,
        }

    def to_markdown(self) -> str:
        machine = self.machine()
        lines = [
            f"Run {self.started_at}{' (quick: harness check only)' if self.quick else ''}, "
            f"commit `{machine['commit']}`, {machine['processor']}, {machine['cores']} cores, "
            f"{machine['memory_gb']} GB RAM, load average {machine['load_average_at_start']} at "
            f"start and {machine['load_average_now']} at the end, Python {machine['python']}, "
            f"{machine['platform']}."
            + (" Firestore and Pub/Sub: Google's emulators." if self.official else ""),
            "",
        ]
        if self.total_seconds is not None:
            parts = [f"{s.key or s.title} {s.seconds:.0f} s" for s in self.sections]
            stack = f"stack start {self.stack_seconds:.0f} s, " if self.stack_seconds else ""
            lines += [
                f"Wall time {self.total_seconds:.0f} s: {stack}{', '.join(parts)}.",
                "",
            ]
        for section in self.sections:
            lines += [f"### {section.title}", ""]
            lines.append("| " + " | ".join(section.columns) + " |")
            lines.append("|" + "---|" * len(section.columns))
            lines += ["| " + " | ".join(_fmt(c) for c in row) + " |" for row in section.rows]
            lines.append("")
            for t in section.targets:
                verdict = "met" if t["met"] else "**MISSED**"
                lines.append(
                    f"- Target {t['name']}: {_fmt(t['value'])}{t['unit']} "
                    f"(limit {_fmt(t['limit'])}{t['unit']}): {verdict}"
                )
            lines += [f"- {note}" for note in section.notes]
            lines.append("")
        if self.errors:
            lines += ["### Errors", ""] + [f"- {e}" for e in self.errors] + [""]
        return "\n".join(lines)

    def write(self, out_dir: Path) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        stamp = self.started_at.replace(":", "").replace("+0000", "Z")
        for name in (f"bench-{stamp}", "latest"):
            (out_dir / f"{name}.json").write_text(json.dumps(self.to_json(), indent=2, default=str))
            (out_dir / f"{name}.md").write_text(self.to_markdown())
        return out_dir / "latest.md"

    def update_readme(self, readme: Path, block: str = "bench") -> None:
        """Replace the text between `<!-- {block}:start -->` and `<!-- {block}:end -->`."""
        start, end = f"<!-- {block}:start -->", f"<!-- {block}:end -->"
        text = readme.read_text()
        if start not in text or end not in text:
            raise ValueError(f"{readme} has no {start} ... {end} markers")
        head, _, rest = text.partition(start)
        _, _, tail = rest.partition(end)
        readme.write_text(f"{head}{start}\n{self.to_markdown()}\n{end}{tail}")


def _fmt(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
