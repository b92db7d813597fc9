"""infra/package.py: byte-identical archives for identical inputs, a new hash for any change,
and a clear error for what cannot be deployed."""

from __future__ import annotations

import importlib.util
import os
import sys
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

from tests.infra.conftest import INFRA, REPO, function_folders


def _load_packager() -> ModuleType:
    # infra/ is not a package (it holds Terraform); load the script by path.
    spec = importlib.util.spec_from_file_location("hs_infra_package", INFRA / "package.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


package = _load_packager()

PINNED = (
    "functions-framework==3.10.2\n    # via hybrid-sessions\ncffi==2.1.1 ; python_version >= '3'\n"
)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "functions" / "chat").mkdir(parents=True)
    (root / "functions" / "chat" / "main.py").write_text("def chat(request):\n    return 'ok'\n")
    (root / "functions" / "chat" / "requirements.txt").write_text(PINNED)
    (root / "shared" / "api").mkdir(parents=True)
    (root / "shared" / "__init__.py").write_text("")
    (root / "shared" / "api" / "__init__.py").write_text("X = 1\n")
    (root / "shared" / "api" / "__pycache__").mkdir()
    (root / "shared" / "api" / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"\0")
    return root


def test_archive_layout_is_function_files_plus_shared(repo: Path, tmp_path: Path) -> None:
    archive = package.build("chat", tmp_path / "out", repo=repo)
    with zipfile.ZipFile(archive.path) as z:
        assert z.namelist() == [
            "main.py",
            "requirements.txt",
            "shared/__init__.py",
            "shared/api/__init__.py",
        ]
        info = z.getinfo("main.py")
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.external_attr >> 16 == 0o100644
        assert z.read("requirements.txt").decode() == PINNED


def test_same_inputs_give_byte_identical_archives(repo: Path, tmp_path: Path) -> None:
    first = package.build("chat", tmp_path / "a", repo=repo)
    # Timestamps and permissions of the checkout do not matter.
    main = repo / "functions" / "chat" / "main.py"
    os.utime(main, (1_000_000_000, 1_000_000_000))
    main.chmod(0o755)
    second = package.build("chat", tmp_path / "b", repo=repo)
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.sha256 == second.sha256


@pytest.mark.parametrize(
    "change",
    [
        ("functions/chat/main.py", "def chat(request):\n    return 'changed'\n"),
        ("shared/api/__init__.py", "X = 2\n"),
        ("functions/chat/requirements.txt", "functions-framework==3.10.1\n"),
        ("shared/new_module.py", "Y = 1\n"),
    ],
    ids=["function", "shared", "requirements", "new-file"],
)
def test_any_change_gives_a_new_hash(repo: Path, tmp_path: Path, change: tuple[str, str]) -> None:
    before = package.build("chat", tmp_path / "a", repo=repo).sha256
    path, text = change
    (repo / path).write_text(text)
    assert package.build("chat", tmp_path / "b", repo=repo).sha256 != before


@pytest.mark.parametrize(
    "line",
    ["functions-framework>=3.8", "flask", "-e ./shared", "git+https://example.invalid/x.git"],
)
def test_unpinned_requirements_are_refused(repo: Path, tmp_path: Path, line: str) -> None:
    (repo / "functions" / "chat" / "requirements.txt").write_text(PINNED + line + "\n")
    with pytest.raises(package.PackagingError) as error:
        package.build("chat", tmp_path / "out", repo=repo)
    assert error.value.code == "unpinned_requirement"
    assert not (tmp_path / "out" / "chat.zip").exists()


def test_missing_requirements_and_unknown_functions_are_refused(repo: Path, tmp_path: Path) -> None:
    (repo / "functions" / "chat" / "requirements.txt").unlink()
    with pytest.raises(package.PackagingError) as error:
        package.build("chat", tmp_path / "out", repo=repo)
    assert error.value.code == "missing_requirements"
    with pytest.raises(package.PackagingError) as error:
        package.build("billing", tmp_path / "out", repo=repo)
    assert error.value.code == "unknown_function"


def test_cli_exits_2_with_the_error_code(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    assert package.main(["--out", str(tmp_path), "no-such-function"]) == 2
    assert "unknown_function" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(function_folders()))
def test_every_function_has_pinned_requirements(name: str) -> None:
    package.check_requirements(REPO / "functions" / name / "requirements.txt")


def test_terraform_names_objects_by_archive_hash() -> None:
    main = (INFRA / "modules" / "functions" / "main.tf").read_text(encoding="utf-8")
    assert 'filesha256("${var.source_dir}/${name}.zip")' in main
    assert 'name         = "${each.key}/${each.value.sha256}.zip"' in main
