"""The import contracts of pyproject.toml can fail: each break below is reported.

A package tree with the same top-level names as ours (one module per layer of `shared`, plus
`functions`, the client's `hybrid_sessions`, `emulators` and `benchmarks`) is written to a
temporary folder and checked with `lint-imports` against the project's own contracts: clean,
it keeps them all; with one bad import added, the contract of that rule is broken and named.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
CONTRACTS = tomllib.loads(CONFIG.read_text())["tool"]["importlinter"]["contracts"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _contract(contract_id: str) -> dict[str, object]:
    return next(c for c in CONTRACTS if c["id"] == contract_id)


def _layer_modules() -> list[str]:
    layers = _contract("layers")["layers"]
    assert isinstance(layers, list)
    return [
        name.strip(" ()") for layer in layers for name in re.split(r"[|:]", layer) if name.strip()
    ]


@dataclass(frozen=True)
class Break:
    contract: str  # the id of the contract it breaks
    path: str  # module file written (or appended to) in the clean tree
    line: str


BREAKS = {
    "domain imports a port": Break("layers", "shared/domain/__init__.py", "import shared.ports"),
    "domain imports config": Break("layers", "shared/domain/__init__.py", "import shared.config"),
    "port imports a service": Break("layers", "shared/ports/__init__.py", "import shared.services"),
    "service imports settings": Break(
        "layers", "shared/services/__init__.py", "from shared import config"
    ),
    "service imports an adapter": Break(
        "layers", "shared/services/__init__.py", "import shared.adapters"
    ),
    "service imports our log setup": Break(
        "layers", "shared/services/__init__.py", "import shared.logs"
    ),
    "adapter imports the bootstrap": Break(
        "layers", "shared/adapters/__init__.py", "import shared.bootstrap"
    ),
    "adapter imports auth": Break("layers", "shared/adapters/__init__.py", "import shared.auth"),
    "bootstrap imports a route": Break(
        "layers", "shared/bootstrap/__init__.py", "import shared.api"
    ),
    "a module no layer lists": Break("layers", "shared/unplaced.py", "import shared.domain"),
    "shared imports an emulator": Break(
        "product-code", "shared/services/__init__.py", "import emulators"
    ),
    "a function imports a benchmark": Break(
        "product-code", "functions/chat/main.py", "import benchmarks"
    ),
    "the Python client imports an emulator": Break(
        "product-code", "hybrid_sessions/__init__.py", "from emulators import stack"
    ),
    "a service imports Firestore": Break(
        "google-clients", "shared/services/__init__.py", "from google.cloud import firestore"
    ),
    "auth imports google.oauth2": Break(
        "google-clients", "shared/auth/__init__.py", "from google.oauth2 import id_token"
    ),
    "the bootstrap imports google.auth": Break(
        "google-clients", "shared/bootstrap/__init__.py", "import google.auth"
    ),
    "a route imports google.genai": Break(
        "google-clients", "shared/api/__init__.py", "from google import genai"
    ),
    "domain imports grpc": Break("google-clients", "shared/domain/__init__.py", "import grpc"),
}


def _tree(root: Path) -> None:
    """A clean tree: every layer of shared/ as a package, the adapters using Google."""
    for package in ("shared", "hybrid_sessions", "emulators", "benchmarks"):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
    for layer in _layer_modules():
        (root / "shared" / layer).mkdir()
        (root / "shared" / layer / "__init__.py").write_text("")
    # Allowed imports, so a clean run has edges to check and is not vacuous.
    (root / "shared/adapters/__init__.py").write_text(
        "from google.cloud import firestore\nimport grpc\nimport shared.ports\n"
    )
    (root / "shared/ports/__init__.py").write_text("import shared.domain\n")
    (root / "shared/services/__init__.py").write_text("import shared.ports\nimport logging\n")
    (root / "shared/bootstrap/__init__.py").write_text(
        "import shared.adapters\nimport shared.services\nimport shared.config\n"
    )
    (root / "functions/chat").mkdir(parents=True)
    (root / "functions/chat/main.py").write_text("import shared.web\n")


def _lint(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(CONFIG)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _verdicts(report: str) -> dict[str, str]:
    flat = " ".join(report.split())
    return {
        c["id"]: "BROKEN" if f"{' '.join(str(c['name']).split())} BROKEN" in flat else "KEPT"
        for c in CONTRACTS
    }


def test_the_clean_tree_keeps_every_contract(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(CONTRACTS)} kept, 0 broken" in result.stdout


def test_every_contract_has_a_break() -> None:
    assert {b.contract for b in BREAKS.values()} == {c["id"] for c in CONTRACTS}


@pytest.mark.parametrize("case", list(BREAKS))
def test_a_bad_import_breaks_its_contract(tmp_path: Path, case: str) -> None:
    bad = BREAKS[case]
    _tree(tmp_path)
    path = tmp_path / bad.path
    path.write_text((path.read_text() if path.exists() else "") + bad.line + "\n")
    result = _lint(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    verdicts = _verdicts(result.stdout)
    assert verdicts[bad.contract] == "BROKEN", result.stdout
    assert list(verdicts.values()).count("BROKEN") == 1, result.stdout
