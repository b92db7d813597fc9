"""The faults a platform engineer finds reading infra/ before a first `terraform apply` (issue
20), each as a static check: environments that collide, races on a fresh project, the
provider's `storage_source.generation` bug, and the risky pipeline and IAM settings."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.infra.conftest import (
    BOOTSTRAP,
    ENVS,
    INFRA,
    MODULES,
    REPO,
    TerraformError,
    evaluate,
    load_hcl,
    locals_of,
    terraform,
)

COMPOSITION = MODULES / "hybrid_sessions"
BUILD_DOCUMENTED_ROLES = {
    "roles/logging.logWriter",
    "roles/artifactregistry.writer",
    "roles/storage.objectAdmin",
}


def resources(root: Path, kind: str | None = None) -> dict[str, dict[str, Any]]:
    """`{"<type>.<name>": body}` of every resource (of one type) in a root's .tf files."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("*.tf")):
        for block in load_hcl(path).get("resource", []):
            for rtype, named in block.items():
                for name, body in named.items():
                    if kind is None or rtype == kind:
                        found[f"{rtype}.{name}"] = body
    return found


def module_calls(root: Path) -> dict[str, dict[str, Any]]:
    calls: dict[str, dict[str, Any]] = {}
    for path in sorted(root.glob("*.tf")):
        for block in load_hcl(path).get("module", []):
            calls.update(block)
    return calls


def variable(root: Path, name: str) -> dict[str, Any]:
    for block in load_hcl(root / "variables.tf").get("variable", []):
        if name in block:
            return block[name]
    raise KeyError(f"{root.name} declares no variable {name}")


def cloudbuild(name: str = "cloudbuild.yaml") -> dict[str, Any]:
    return yaml.safe_load((REPO / name).read_text(encoding="utf-8"))


def scratch_root(tmp_path: Path, source: Path, tfvars: dict[str, Any]) -> tuple[int, str]:
    """Apply a root made only of `source`'s variables.tf (validations run, nothing else)."""
    tmp_path.mkdir(parents=True)
    (tmp_path / "variables.tf").write_text(
        (source / "variables.tf").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps(tfvars), encoding="utf-8")
    code, out, err = terraform(
        tmp_path, "apply", "-auto-approve", "-input=false", "-no-color", "-state=s.tfstate"
    )
    return code, out + err


# --- 1. Dev and prod collide --------------------------------------------------------------------


def test_each_environment_deploys_into_the_project_of_its_trigger() -> None:
    script = next(s for s in cloudbuild()["steps"] if s["id"] == "plan")["args"][-1]
    assert "project_id=${PROJECT_ID}" not in script, "the build's own project is every env's"
    assert '-var="project_id=${_PROJECT_ID}"' in script
    assert '-var="firestore_database=${_FIRESTORE_DATABASE}"' in script
    body = resources(BOOTSTRAP, "google_cloudbuild_trigger")["google_cloudbuild_trigger.env"]
    assert body["substitutions"]["_PROJECT_ID"] == "${each.value.project_id}"
    assert body["substitutions"]["_FIRESTORE_DATABASE"] == "${each.value.firestore_database}"


def bootstrap_vars(**environments: dict[str, Any]) -> dict[str, Any]:
    return {
        "project_id": "hs-ci-project",
        "state_bucket": "hs-ci-tfstate",
        "github_owner": "o",
        "github_repo": "r",
        "environments": environments,
    }


def test_two_environments_never_share_a_project_and_a_database(tmp_path: Path) -> None:
    dev = {"branch_pattern": "^main$", "approval_required": False, "project_id": "hs-dev-1"}
    prod = {"tag_pattern": "^v1$", "approval_required": True, "project_id": "hs-dev-1"}
    code, out = scratch_root(tmp_path / "same", BOOTSTRAP, bootstrap_vars(dev=dev, prod=prod))
    assert code != 0 and "share a project" in " ".join(out.split()), out
    named = {**prod, "firestore_database": "hs-prod"}
    code, out = scratch_root(tmp_path / "named", BOOTSTRAP, bootstrap_vars(dev=dev, prod=named))
    assert code == 0, out
    own = {**prod, "project_id": "hs-prod-1"}
    code, out = scratch_root(tmp_path / "own", BOOTSTRAP, bootstrap_vars(dev=dev, prod=own))
    assert code == 0, out


@pytest.mark.parametrize("protected", [False, True])
def test_terraform_never_deletes_the_default_database(tmp_path: Path, protected: bool) -> None:
    # (default) may be shared or imported into two states: destroying it from one must abandon it.
    base = {
        "project_id": "p",
        "location_id": "nam5",
        "indexes_file": str(INFRA / "firestore.indexes.json"),
    }
    out = evaluate(
        "firestore",
        tmp_path / "default",
        {**base, "database_id": "(default)", "deletion_protection": protected},
        {"policy": "local.deletion_policy"},
    )
    assert out["policy"] == "ABANDON"
    named = evaluate(
        "firestore",
        tmp_path / "named",
        {**base, "database_id": "hs-dev", "deletion_protection": protected},
        {"policy": "local.deletion_policy"},
    )
    assert named["policy"] == ("ABANDON" if protected else "DELETE")


def test_firestore_roles_are_granted_on_the_database_only() -> None:
    # Project-wide, roles/datastore.user reaches every database of the project.
    iam = locals_of(MODULES / "iam" / "main.tf")
    assert "roles/datastore" not in json.dumps(iam["function_roles"])
    assert "roles/datastore" in json.dumps(iam["firestore_roles"])
    grants = resources(MODULES / "iam", "google_project_iam_member")
    assert "datastore" not in json.dumps({k: v for k, v in grants.items() if "firestore" not in k})
    firestore = grants["google_project_iam_member.firestore"]
    assert "local.firestore_roles" in firestore["for_each"]
    expression = firestore["condition"][0]["expression"]
    assert expression.replace('\\"', '"') == 'resource.name == "${local.database_name}"'
    assert iam["database_name"] == "projects/${var.project_id}/databases/${var.firestore_database}"
    assert (
        module_calls(COMPOSITION)["iam"]["firestore_database"] == "${module.firestore.database_id}"
    )


# --- 2. Races on a first apply ------------------------------------------------------------------


def test_every_function_call_waits_for_the_grants_it_runs_with() -> None:
    calls = {n: c for n, c in module_calls(COMPOSITION).items() if c["source"] == "../functions"}
    assert calls
    for name, call in calls.items():
        assert "${module.iam}" in call.get("depends_on", []), name
    # The grants the builds and the functions use, then the documented propagation wait.
    sleep = resources(MODULES / "iam", "time_sleep")
    assert sleep, "no propagation wait after the IAM grants"
    waited = " ".join(sleep[next(iter(sleep))].get("depends_on", []))
    for grant in ("google_project_iam_member.build", "google_secret_manager_secret_iam_member"):
        assert grant in waited, grant


def test_service_agents_exist_before_their_grants_and_triggers() -> None:
    identity = resources(MODULES / "project_services", "google_project_service_identity")
    assert identity["google_project_service_identity.agent"]["for_each"] == (
        "${toset(var.service_agents)}"
    )
    services = module_calls(COMPOSITION)["project_services"]["service_agents"]
    assert {"pubsub.googleapis.com", "eventarc.googleapis.com"} <= set(services)
    assert resources(MODULES / "project_services", "time_sleep"), "agents' roles need a moment"
    for path in INFRA.rglob("*.tf"):
        # An agent email built from the project number may name an account that is not there yet.
        assert "gcp-sa-pubsub" not in path.read_text(encoding="utf-8"), path
    pubsub = module_calls(COMPOSITION)["pubsub"]
    assert "module.project_services.pubsub_agent" in pubsub["pubsub_agent"]
    for name, call in module_calls(COMPOSITION).items():
        if call["source"] == "../functions":
            assert "${module.project_services}" in call["depends_on"], name


# --- 3. storage_source.generation ----------------------------------------------------------------


def test_function_source_names_the_generation_of_its_archive() -> None:
    function = resources(MODULES / "functions", "google_cloudfunctions2_function")
    storage = function["google_cloudfunctions2_function.this"]["build_config"][0]["source"][0][
        "storage_source"
    ][0]
    assert "generation" in storage, "hashicorp/terraform-provider-google#19134"
    assert "google_storage_bucket_object.source" in storage["generation"]


# --- 4. Risky -----------------------------------------------------------------------------------


def test_the_build_account_has_the_documented_roles() -> None:
    body = resources(MODULES / "iam")["google_project_iam_member.build"]
    roles = set(re.findall(r"roles/[a-zA-Z.]+", json.dumps(body["for_each"])))
    assert roles >= BUILD_DOCUMENTED_ROLES or "roles/cloudbuild.builds.builder" in roles, roles


def test_prod_applies_the_saved_plan_an_approver_has_seen() -> None:
    plan_build = cloudbuild()
    ids = [s["id"] for s in plan_build["steps"]]
    assert ids.index("plan") < ids.index("publish-plan") < ids.index("apply")
    publish = next(s for s in plan_build["steps"] if s["id"] == "publish-plan")["args"][-1]
    assert "tfplan" in publish and "gcloud storage cp" in publish
    apply_build = cloudbuild("cloudbuild.apply.yaml")
    fetch, apply = apply_build["steps"][0]["args"][-1], apply_build["steps"][1]["args"][-1]
    assert "${_PLAN_URL}" in fetch and "apply -input=false" in apply and "tfplan" in apply
    triggers = resources(BOOTSTRAP, "google_cloudbuild_trigger")
    # The approval gates the build that applies, which starts only after the plan is published.
    apply_trigger = triggers["google_cloudbuild_trigger.apply"]
    assert apply_trigger["git_file_source"][0]["path"] == "cloudbuild.apply.yaml"
    assert (REPO / "cloudbuild.apply.yaml").is_file()
    assert apply_trigger["approval_config"][0]["approval_required"] is True
    plan_trigger = triggers["google_cloudbuild_trigger.env"]
    assert "approval_config" not in plan_trigger


def value(root: Path, expression: str) -> Any:
    """A literal, or the default of the `${var.x}` it names."""
    match = re.fullmatch(r"\$\{var\.([a-z_]+)\}", expression)
    return variable(root, match.group(1))["default"] if match else expression


def seconds(duration: str) -> float:
    units = {"s": 1, "m": 60, "h": 3600}
    return sum(float(n) * units[u] for n, u in re.findall(r"([\d.]+)([smh])", duration))


def test_timeouts_fit_a_first_apply() -> None:
    assert seconds(cloudbuild()["timeout"]) >= 3 * 3600, "tests + a 30-60 min index deployment"
    vector = resources(MODULES / "vector_search")
    deployed = vector["google_vertex_ai_index_endpoint_deployed_index.this"]["timeouts"][0]
    for phase in ("create", "update"):
        assert seconds(value(MODULES / "vector_search", deployed[phase])) >= 90 * 60, phase
    assert "timeouts" in vector["google_vertex_ai_index.this"]
    for step in cloudbuild()["steps"]:
        if "terraform" in step["name"]:
            assert "-lock-timeout=" in step["args"][-1], step["id"]


def test_prod_delivers_to_ingest_with_a_dead_letter_topic() -> None:
    assert variable(COMPOSITION, "ingest_delivery")["default"] == "pubsub_push"
    assert "eventarc" not in (ENVS / "prod" / "main.tf").read_text(encoding="utf-8")


def test_the_deployer_hands_out_only_the_products_roles() -> None:
    bootstrap = resources(BOOTSTRAP)
    project_roles = " ".join(
        json.dumps(b) for k, b in bootstrap.items() if k.startswith("google_project_iam_member.")
    )
    for role in ("roles/iam.serviceAccountUser", "roles/iam.roleAdmin", "roles/owner"):
        assert role not in project_roles, role
    iam_admin = bootstrap["google_project_iam_member.deployer_iam_admin"]
    assert iam_admin["role"] == "roles/resourcemanager.projectIamAdmin"
    expression = iam_admin["condition"][0]["expression"]
    assert "iam.googleapis.com/modifiedGrantsByRole" in expression and "hasOnly" in expression
    # serviceAccountUser on each of the product's accounts, granted by the env stack itself.
    acts_as = resources(MODULES / "iam", "google_service_account_iam_member")
    assert any(b["role"] == "roles/iam.serviceAccountUser" for b in acts_as.values())


def test_only_the_vector_functions_wait_for_vector_search() -> None:
    main = (COMPOSITION / "main.tf").read_text(encoding="utf-8")
    local_blocks = re.findall(r"^locals \{\n(.*?)^\}\n", main, re.MULTILINE | re.DOTALL)
    definitions = dict(
        re.findall(
            r"^  ([a-z_]+)\s*=(.*?)(?=^  [a-z_]+\s*=|\Z)", "".join(local_blocks), re.M | re.S
        )
    )

    def closure(text: str, seen: set[str]) -> str:
        for name in set(re.findall(r"\blocal\.([a-z_]+)", text)) - seen:
            seen.add(name)
            text += closure(definitions.get(name, ""), seen)
        return text

    core = module_calls(COMPOSITION)["functions"]
    reached = closure(json.dumps(core), set())
    assert "module.vector_search" not in reached, "chat, sessions, reconciler wait for the index"


def test_superseded_archives_are_removed() -> None:
    bucket = resources(MODULES / "functions")["google_storage_bucket.source"]
    conditions = [rule["condition"][0] for rule in bucket["lifecycle_rule"]]
    # Replaced archives become noncurrent versions (the bucket is versioned) with no newer
    # version of their own name: num_newer_versions never matches them.
    assert any("days_since_noncurrent_time" in c for c in conditions), conditions


def test_provider_versions_are_pinned_in_roots_and_the_lock_command_documented() -> None:
    versions = load_hcl(INFRA / "versions.tf")["terraform"][0]["required_providers"][0]
    for name, spec in versions.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", spec["version"]), name
    for root in [*sorted(p for p in ENVS.iterdir() if p.is_dir()), BOOTSTRAP]:
        assert (root / "versions.tf").resolve() == INFRA / "versions.tf", root.name
    readme = (INFRA / "README.md").read_text(encoding="utf-8")
    assert "terraform providers lock -platform=linux_amd64" in readme
    assert ".terraform.lock.hcl" in readme


# --- Vector backend (issue 14's Terraform part) -------------------------------------------------


def test_firestore_backend_creates_no_vertex_vector_search_resource(tmp_path: Path) -> None:
    assert variable(COMPOSITION, "vector_backend")["default"] == "firestore"
    assert load_hcl(ENVS / "dev" / "terraform.tfvars")["settings"]["vector_backend"] == "firestore"
    vertex = resources(MODULES / "vector_search")
    assert vertex
    for name, body in vertex.items():
        assert body.get("count") == "${var.enabled ? 1 : 0}", name
    call = module_calls(COMPOSITION)["vector_search"]
    assert call["enabled"] == '${var.vector_backend == "vertex"}'


def test_vector_backends_are_the_ones_the_product_reads() -> None:
    from typing import get_args

    from shared.config import Settings

    accepted = set(get_args(Settings.model_fields["vector_backend"].annotation))
    condition = variable(COMPOSITION, "vector_backend")["validation"][0]["condition"]
    assert set(re.findall(r'"([a-z]+)"', condition)) == accepted


def test_firestore_backend_has_a_vector_index_of_the_cloud_embedding_size() -> None:
    spec = json.loads((INFRA / "firestore.indexes.json").read_text(encoding="utf-8"))
    dimensions = {
        f["vectorConfig"]["dimension"]
        for idx in spec["indexes"]
        for f in idx["fields"]
        if "vectorConfig" in f
    }
    assert variable(COMPOSITION, "embedding_dimensions")["default"] in dimensions


def test_vector_backend_validation_refuses_unknown_backends(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="vector_backend must be"):
        evaluate(
            "hybrid_sessions",
            tmp_path,
            {
                "project_id": "hs-test-project",
                "env": "dev",
                "source_dir": "/nowhere",
                "vector_backend": "pinecone",
            },
            {},
        )


def test_the_deployer_may_grant_exactly_the_roles_the_env_stack_grants() -> None:
    # The condition on projectIamAdmin lists what the iam module hands out at project level; a
    # role missing there fails the first apply with 403, one too many widens the deployer.
    iam = locals_of(MODULES / "iam" / "main.tf")
    granted = {role for roles in iam["function_roles"].values() for role in roles}
    granted |= set(re.findall(r"roles/[A-Za-z.]+", json.dumps(iam["firestore_roles"])))
    build = resources(MODULES / "iam")["google_project_iam_member.build"]["for_each"]
    granted |= set(re.findall(r"roles/[A-Za-z.]+", build))
    bootstrap = locals_of(BOOTSTRAP / "main.tf")
    assert set(bootstrap["grantable_roles"]) == granted
    custom = set(re.findall(r"hs_[a-z_]+", json.dumps(iam["custom_role_of"])))
    assert custom == set(bootstrap["custom_roles"])
