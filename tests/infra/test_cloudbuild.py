"""cloudbuild.yaml: valid, runs the README's test command, and plans/applies one environment
with a pinned Terraform and correctly escaped substitutions."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.infra.conftest import BOOTSTRAP, ENVS, REPO, load_hcl

# Substitutions Cloud Build provides itself (Cloud Build docs: "Substituting variable values").
BUILT_IN = {
    "PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION", "TRIGGER_NAME", "COMMIT_SHA",
    "REVISION_ID", "SHORT_SHA", "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
    "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL", "SERVICE_ACCOUNT",
}  # fmt: skip
REFERENCE = re.compile(r"\$(\$|\{(?P<braced>[A-Z0-9_]+)\}|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))")


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    return yaml.safe_load((REPO / "cloudbuild.yaml").read_text(encoding="utf-8"))


def step(build: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in build["steps"] if s["id"] == step_id)


def test_steps_in_order(build: dict) -> None:
    assert [s["id"] for s in build["steps"]] == ["lint", "test", "package", "plan", "apply"]


def test_test_step_runs_the_readme_test_command(build: dict) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, re.MULTILINE)
    test = step(build, "test")
    assert test["name"] == "python:3.12"
    assert [test["entrypoint"], *test["args"]] == ["make", "test"]


def test_terraform_image_is_pinned_to_a_version(build: dict) -> None:
    for step_id in ("plan", "apply"):
        image = step(build, step_id)["name"]
        assert re.fullmatch(r"hashicorp/terraform:\d+\.\d+\.\d+", image), image


def test_plan_uses_the_env_backend_and_apply_applies_that_plan(build: dict) -> None:
    plan = step(build, "plan")
    script = plan["args"][-1]
    assert plan["dir"] == "infra/envs/${_ENV}"
    assert '-backend-config="bucket=${_TF_STATE_BUCKET}"' in script
    assert '-backend-config="prefix=env/${_ENV}"' in script
    assert '-var="project_id=${PROJECT_ID}"' in script and "-out=tfplan" in script
    apply = step(build, "apply")
    assert apply["dir"] == plan["dir"]
    assert "apply -input=false -lock-timeout=300s tfplan" in apply["args"][-1]
    # Every value _ENV may take is an env folder.
    for env in re.findall(r"^\s*([a-z|]+)\) ;;", script, re.MULTILINE)[0].split("|"):
        assert (ENVS / env / "main.tf").is_file()


def test_substitutions_are_user_defined_or_built_in_and_shell_vars_escaped(build: dict) -> None:
    declared = set(build["substitutions"])
    assert all(re.fullmatch(r"_[A-Z0-9_]+", name) for name in declared)
    used: set[str] = set()
    text = yaml.safe_dump(build["steps"]) + yaml.safe_dump(build["options"])
    for match in REFERENCE.finditer(text):
        assert not match.group("bare"), f"${match.group('bare')}: write $$ for shell variables"
        if match.group("braced"):
            used.add(match.group("braced"))
    assert used - BUILT_IN <= declared
    assert declared <= used, "an unused substitution fails builds (substitution_option MUST_MATCH)"


def test_logging_goes_to_cloud_logging_only(build: dict) -> None:
    assert build["options"]["logging"] == "CLOUD_LOGGING_ONLY"


def test_bootstrap_triggers_cover_every_env_and_prod_needs_approval(build: dict) -> None:
    variables = {
        name: body
        for block in load_hcl(BOOTSTRAP / "variables.tf")["variable"]
        for name, body in block.items()
    }
    environments = variables["environments"]["default"]
    assert set(environments) == {p.name for p in ENVS.iterdir() if p.is_dir()}
    assert environments["prod"]["approval_required"] is True
    assert environments["dev"]["branch_pattern"] == "^main$"
    trigger = load_hcl(BOOTSTRAP / "main.tf")["resource"]
    env_trigger = next(
        r["google_cloudbuild_trigger"]["env"] for r in trigger if "google_cloudbuild_trigger" in r
    )
    assert env_trigger["filename"] == "cloudbuild.yaml"
    assert set(env_trigger["substitutions"]) == set(build["substitutions"])
    assert (
        env_trigger["approval_config"][0]["approval_required"] == "${each.value.approval_required}"
    )
