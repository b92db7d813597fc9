"""What `terraform validate` would catch between our own modules, checked without providers:
every module call passes only inputs the module declares and every input it requires, every
`module.X.Y` names a declared output, every `var.`/`local.` reference is declared, and no
declared input is left unused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.infra.conftest import MODULES, ROOTS, load_hcl

ALL_ROOTS = [*sorted(p for p in MODULES.iterdir() if p.is_dir()), *ROOTS]
META_ARGUMENTS = {"source", "count", "for_each", "depends_on", "providers", "version"}


def tf_files(root: Path) -> list[Path]:
    return sorted(root.glob("*.tf"))


def blocks(root: Path, kind: str) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for path in tf_files(root):
        for block in load_hcl(path).get(kind, []):
            found.update(block)
    return found


def declared_locals(root: Path) -> set[str]:
    names: set[str] = set()
    for path in tf_files(root):
        for block in load_hcl(path).get("locals", []):
            names.update(block)
    return names


def code(root: Path) -> str:
    # Comments may mention references that are not code.
    text = "\n".join(p.read_text(encoding="utf-8") for p in tf_files(root))
    return re.sub(r"^\s*#.*$", "", text, flags=re.MULTILINE)


def module_calls() -> list[tuple[Path, str, dict]]:
    calls = []
    for root in ALL_ROOTS:
        for name, body in blocks(root, "module").items():
            calls.append((root, name, body))
    return calls


@pytest.mark.parametrize(
    ("root", "name", "body"), module_calls(), ids=lambda v: v.name if isinstance(v, Path) else ""
)
def test_module_call_matches_the_module_inputs(root: Path, name: str, body: dict) -> None:
    callee = (root / body["source"]).resolve()
    variables = blocks(callee, "variable")
    passed = set(body) - META_ARGUMENTS
    assert passed - set(variables) == set(), f"{root.name}: module {name} passes unknown inputs"
    required = {v for v, spec in variables.items() if "default" not in spec}
    assert required - passed == set(), f"{root.name}: module {name} misses required inputs"


@pytest.mark.parametrize("root", ALL_ROOTS, ids=lambda p: p.name)
def test_module_output_references_exist(root: Path) -> None:
    calls = blocks(root, "module")
    for module, output in re.findall(r"\bmodule\.([a-z_]+)(?:\[\d+\])?\.([a-z_]+)", code(root)):
        assert module in calls, f"{root.name}: no module {module}"
        callee = (root / calls[module]["source"]).resolve()
        assert output in blocks(callee, "output"), f"{root.name}: {module} has no output {output}"


@pytest.mark.parametrize("root", ALL_ROOTS, ids=lambda p: p.name)
def test_variables_and_locals_are_declared_and_used(root: Path) -> None:
    text = code(root)
    variables = set(blocks(root, "variable"))
    used_vars = set(re.findall(r"\bvar\.([a-z_0-9]+)", text))
    assert used_vars - variables == set(), f"{root.name}: undeclared variables"
    assert variables - used_vars == set(), f"{root.name}: unused variables"
    used_locals = set(re.findall(r"\blocal\.([a-z_0-9]+)", text))
    assert used_locals - declared_locals(root) == set(), f"{root.name}: undeclared locals"
