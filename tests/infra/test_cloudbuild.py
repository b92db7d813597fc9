"""cloudbuild.yaml and cloudbuild.apply.yaml: valid, run the README's test command, plan one
environment, publish the plan and apply that saved plan with a pinned Terraform, then smoke-test
the deployment; substitutions correctly escaped."""

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


BUILD_FILES = ["cloudbuild.yaml", "cloudbuild.apply.yaml"]


def load_build(name: str) -> dict[str, Any]:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def build() -> dict[str, Any]:
    return load_build("cloudbuild.yaml")


def step(build: dict[str, Any], step_id: str) -> dict[str, Any]:
    return next(s for s in build["steps"] if s["id"] == step_id)


def test_steps_in_order(build: dict) -> None:
    ids = ["lint", "test", "package", "plan", "publish-plan", "apply", "smoke"]
    assert [s["id"] for s in build["steps"]] == ids
    apply_ids = [s["id"] for s in load_build("cloudbuild.apply.yaml")["steps"]]
    assert apply_ids == ["fetch-plan", "apply", "smoke"]


def test_test_step_runs_the_readme_test_command(build: dict) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert re.search(r"^make test\b", readme, re.MULTILINE)
    test = step(build, "test")
    assert test["name"] == "python:3.12"
    assert [test["entrypoint"], *test["args"]] == ["make", "test"]


@pytest.mark.parametrize("name", BUILD_FILES)
def test_images_are_pinned_to_a_version(name: str) -> None:
    for each in load_build(name)["steps"]:
        assert re.fullmatch(r"[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-slim)?", each["name"]), each["name"]
        if "terraform" in each["name"]:
            assert re.fullmatch(r"hashicorp/terraform:\d+\.\d+\.\d+", each["name"])


def test_plan_uses_the_env_backend_and_apply_applies_that_plan(build: dict) -> None:
    plan = step(build, "plan")
    script = plan["args"][-1]
    assert plan["dir"] == "infra/envs/${_ENV}"
    assert '-backend-config="bucket=${_TF_STATE_BUCKET}"' in script
    assert '-backend-config="prefix=env/${_ENV}"' in script
    assert '-var="project_id=${_PROJECT_ID}"' in script and "-out=tfplan" in script
    apply = step(build, "apply")
    assert apply["dir"] == plan["dir"]
    assert "apply -input=false -lock-timeout=600s tfplan" in apply["args"][-1]
    # Only the published plan's bundle is applied by the approval-gated build.
    approved = step(load_build("cloudbuild.apply.yaml"), "apply")
    assert approved["dir"] == "bundle/infra/envs/${_ENV}"
    assert "apply -input=false -lock-timeout=600s tfplan" in approved["args"][-1]
    assert "-lockfile=readonly" in approved["args"][-1]
    # Every value _ENV may take is an env folder.
    for env in re.findall(r"^\s*([a-z|]+)\) ;;", script, re.MULTILINE)[0].split("|"):
        assert (ENVS / env / "main.tf").is_file()


@pytest.mark.parametrize("name", BUILD_FILES)
def test_substitutions_are_user_defined_or_built_in_and_shell_vars_escaped(name: str) -> None:
    build = load_build(name)
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


@pytest.mark.parametrize("name", BUILD_FILES)
def test_logging_goes_to_cloud_logging_only(name: str) -> None:
    assert load_build(name)["options"]["logging"] == "CLOUD_LOGGING_ONLY"


def test_smoke_runs_after_every_apply_against_the_applied_outputs() -> None:
    for name in BUILD_FILES:
        steps = load_build(name)["steps"]
        ids = [s["id"] for s in steps]
        assert ids.index("smoke") == ids.index("apply") + 1, name
        apply_script = step({"steps": steps}, "apply")["args"][-1]
        assert "terraform output -json > outputs.json" in apply_script
        smoke = " ".join(str(a) for a in step({"steps": steps}, "smoke")["args"])
        assert "smoke" in smoke and "--outputs infra/envs/${_ENV}/outputs.json" in smoke


def test_bootstrap_triggers_cover_every_env_and_prod_needs_approval(build: dict) -> None:
    environments = load_hcl(BOOTSTRAP / "terraform.tfvars.example")["environments"]
    assert set(environments) == {p.name for p in ENVS.iterdir() if p.is_dir()}
    assert environments["prod"]["approval_required"] is True
    assert environments["dev"]["branch_pattern"] == "^main$"
    assert environments["dev"]["project_id"] != environments["prod"]["project_id"]
    triggers = {
        name: body
        for r in load_hcl(BOOTSTRAP / "main.tf")["resource"]
        for name, body in r.get("google_cloudbuild_trigger", {}).items()
    }
    assert triggers["env"]["filename"] == "cloudbuild.yaml"
    assert set(triggers["env"]["substitutions"]) == set(build["substitutions"])
    apply_build = load_build("cloudbuild.apply.yaml")
    assert set(triggers["apply"]["substitutions"]) == set(apply_build["substitutions"])
    assert triggers["apply"]["for_each"] == "${local.approved}"
