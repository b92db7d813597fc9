"""The module READMEs' input and output tables are generated from the modules' variables.tf and
outputs.tf (`make docs`, infra/docs.py) and committed current."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.infra.conftest import INFRA, MODULES


def docs() -> ModuleType:
    spec = importlib.util.spec_from_file_location("infra_docs", INFRA / "docs.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("module", sorted(MODULES.glob("*/README.md")), ids=lambda p: p.parent.name)
def test_readme_tables_are_current(module: Path) -> None:
    assert docs().rendered(module) == module.read_text(encoding="utf-8"), "run `make docs`"


def test_a_new_variable_makes_the_tables_stale(tmp_path: Path) -> None:
    copy = tmp_path / "scheduler"
    shutil.copytree(MODULES / "scheduler", copy)
    readme = copy / "README.md"
    generator = docs()
    assert generator.rendered(readme) == readme.read_text(encoding="utf-8")
    with (copy / "variables.tf").open("a", encoding="utf-8") as handle:
        handle.write('\nvariable "paused" {\n  description = "Pause the job."\n  type = bool\n}\n')
    fresh = generator.rendered(readme)
    assert "| `paused` | `bool` | required | Pause the job. |" in fresh
    assert fresh.count("<!-- BEGIN_TF_DOCS -->") == 1
