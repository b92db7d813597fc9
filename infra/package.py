"""Build each function's deployable source archive, reproducibly.

    python infra/package.py --out build/functions [NAME ...]

One zip per function folder under `functions/` (a folder with a `main.py`): the folder's own
files at the root (`main.py`, `requirements.txt`, ...) and the `shared/` package beside them, the
layout Cloud Run functions' Python buildpack expects. Identical inputs give byte-identical
archives whatever the checkout's timestamps, permissions or file-system order: entries are sorted,
stamped 1980-01-01, mode 0644, stored uncompressed (deflate output depends on the zlib build,
which differs between machines; the sources are a few hundred kilobytes). Terraform names the
uploaded object by the archive's SHA-256, so a change redeploys and no change leaves the plan
empty.

Every line of a function's `requirements.txt` must pin one version (`name==1.2.3`): the build in
the cloud must install what the tests ran with.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o100644 << 16  # regular file, rw-r--r--
_UNIX = 3  # ZipInfo.create_system: the same on every build machine
_SKIP_DIRS = {"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache", "tests"}
_SKIP_SUFFIXES = {".pyc", ".pyo"}
# name[extras]==version, optionally followed by an environment marker; hashes are allowed.
_PINNED = re.compile(
    r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[A-Za-z0-9._,-]+\])?==[A-Za-z0-9.+!*_-]+"
    r"(\s*;[^#]*)?(\s+--hash=\S+)*\s*$"
)


class PackagingError(Exception):
    """A function cannot be packaged; `code` is machine-readable."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@dataclass(frozen=True)
class Archive:
    name: str
    path: Path
    sha256: str


def function_names(functions_dir: Path) -> list[str]:
    """Folders under functions/ that hold a main.py, sorted."""
    return sorted(p.parent.name for p in functions_dir.glob("*/main.py"))


def check_requirements(path: Path) -> None:
    if not path.is_file():
        raise PackagingError("missing_requirements", f"{path} does not exist")
    unpinned = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not _PINNED.match(line):
            unpinned.append(f"line {number}: {raw.strip()}")
    if unpinned:
        raise PackagingError(
            "unpinned_requirement",
            f"{path} must pin every requirement with ==: " + "; ".join(unpinned),
        )


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.is_file()
        and p.suffix not in _SKIP_SUFFIXES
        and not _SKIP_DIRS.intersection(p.relative_to(root).parts[:-1])
    )


def _entries(function_dir: Path, shared_dir: Path) -> dict[str, Path]:
    entries = {p.relative_to(function_dir).as_posix(): p for p in _files(function_dir)}
    for p in _files(shared_dir):
        arcname = f"shared/{p.relative_to(shared_dir).as_posix()}"
        if arcname in entries:
            raise PackagingError(
                "path_conflict", f"{function_dir} has its own {arcname}, which shared/ also has"
            )
        entries[arcname] = p
    return entries


def build(name: str, out_dir: Path, repo: Path = REPO) -> Archive:
    """Write `<out_dir>/<name>.zip` and return its path and SHA-256."""
    function_dir = repo / "functions" / name
    if not (function_dir / "main.py").is_file():
        raise PackagingError("unknown_function", f"{function_dir} has no main.py")
    shared_dir = repo / "shared"
    if not (shared_dir / "__init__.py").is_file():
        raise PackagingError("missing_shared", f"{shared_dir} is not a package")
    check_requirements(function_dir / "requirements.txt")

    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.zip"
    partial = target.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for arcname, source in sorted(_entries(function_dir, shared_dir).items()):
            info = zipfile.ZipInfo(arcname, date_time=_FIXED_TIME)
            info.external_attr = _FILE_MODE
            info.create_system = _UNIX
            info.compress_type = zipfile.ZIP_STORED
            archive.writestr(info, source.read_bytes())
    partial.replace(target)
    return Archive(name, target, hashlib.sha256(target.read_bytes()).hexdigest())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "build" / "functions")
    parser.add_argument("names", nargs="*", help="functions to package (default: all)")
    args = parser.parse_args(argv)
    names = args.names or function_names(REPO / "functions")
    try:
        for name in names:
            archive = build(name, args.out)
            print(f"{archive.sha256}  {archive.path}")
    except PackagingError as error:
        print(f"package: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
