"""Every `# type: ignore` in the repository names its error code (mypy's `ignore-without-code`
checks that) and says why on the same line, so an ignore is a decision someone can read."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def _python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name and (ROOT / name).is_file()]


def unexplained(lines: list[str]) -> list[int]:
    """Line numbers of ignores without a code or without a reason after them."""
    bad = []
    for number, line in enumerate(lines, 1):
        found = IGNORE.search(line)
        if found and (not found["codes"] or not found["rest"].strip().lstrip("#").strip()):
            bad.append(number)
    return bad


def test_every_type_ignore_has_a_code_and_a_reason() -> None:
    files = _python_files()
    assert len(files) > 100
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in files
        if path != Path(__file__).resolve()  # its own examples
        for n in unexplained(path.read_text(encoding="utf-8").splitlines())
    ]
    assert offenders == []


def test_the_check_sees_a_bare_or_unexplained_ignore() -> None:
    assert unexplained(
        [
            "x = f()  # type: ignore",
            "x = f()  # type: ignore[arg-type]",
            "x = f()  # type: ignore[arg-type]  #",
            "x = f()  # type: ignore[arg-type]  # the fake takes any value",
            "x = f()",
        ]
    ) == [1, 2, 3]
