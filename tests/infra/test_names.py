"""One source of truth: the names and settings Terraform gives the cloud are the ones the code
reads (shared/config.py), the functions that exist (functions/), the routes the API declares
(infra/api/openapi.yaml) and the analytics files the local stack provisions (infra/bigquery/)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared.config import Settings
from tests.infra.conftest import (
    BOOTSTRAP,
    ENVS,
    INFRA,
    MODULES,
    TerraformError,
    evaluate,
    evaluate_composition,
    function_folders,
    load_hcl,
    locals_of,
    settings_env_names,
)

COMPOSITION = MODULES / "hybrid_sessions"
ALL_FUNCTIONS = ["chat", "sessions", "search", "ingest", "reconciler"]
# What each function cannot work without in the cloud (its defaults are local values).
REQUIRED_ENV = {
    "chat": {"GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_FIRESTORE_DATABASE", "HS_MESSAGES_TOPIC",
             "HS_LLM_PROVIDER", "HS_LLM_MODEL", "HS_VERTEX_LOCATION", "HS_AUTH_MODE"},
    "sessions": {"GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_FIRESTORE_DATABASE", "HS_MESSAGES_TOPIC",
                 "HS_AUTH_MODE"},
    "search": {"GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_FIRESTORE_DATABASE", "HS_BIGQUERY_DATASET",
               "HS_BIGQUERY_LOCATION", "HS_EMBEDDING_MODEL", "HS_EMBEDDING_DIMENSIONS",
               "HS_VECTOR_BACKEND", "HS_VERTEX_LOCATION", "HS_AUTH_MODE"},
    "ingest": {"GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_BIGQUERY_DATASET", "HS_BIGQUERY_LOCATION",
               "HS_EMBEDDING_MODEL", "HS_EMBEDDING_DIMENSIONS", "HS_VECTOR_BACKEND",
               "HS_VERTEX_LOCATION"},
    "reconciler": {"GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_FIRESTORE_DATABASE",
                   "HS_MESSAGES_TOPIC"},
}  # fmt: skip
# What the backends add: Vertex AI Vector Search's resource names, Firestore's database.
BACKEND_ENV = {
    "vertex": {"search": {"HS_VECTOR_INDEX_ENDPOINT", "HS_VECTOR_DEPLOYED_INDEX_ID",
                          "HS_VECTOR_PUBLIC_ENDPOINT"},
               "ingest": {"HS_VECTOR_INDEX"}},
    "firestore": {"search": set(), "ingest": {"HS_FIRESTORE_DATABASE"}},
}  # fmt: skip
# Local-only settings that must never reach a deployed function.
LOCAL_ONLY_ENV = {
    "FIRESTORE_EMULATOR_HOST", "PUBSUB_EMULATOR_HOST", "HS_BIGQUERY_ENDPOINT",
    "HS_VERTEX_ENDPOINT", "K_SERVICE",
}  # fmt: skip


def composition_vars(**overrides: Any) -> dict[str, Any]:
    return {"project_id": "hs-test-project", "env": "local", "source_dir": "/nowhere", **overrides}


@pytest.fixture(scope="module")
def composition(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The composition's locals as Terraform computes them for env=local."""
    return evaluate(
        "hybrid_sessions",
        tmp_path_factory.mktemp("composition"),
        composition_vars(
            function_overrides={"chat": {"max_instances": 3}},
            api_key_pepper_secret="hs-local-pepper",
        ),
        {
            "names": "local.names",
            "function_env_names": "local.function_env_names",
            "functions": "local.functions",
            "public_functions": "local.public_functions",
            "secrets": "local.secrets",
        },
    )


@pytest.fixture(scope="module")
def env_values() -> dict[str, str]:
    composition = locals_of(COMPOSITION / "main.tf")
    return {**composition["core_env_values"], **composition["vector_env_values"]}


def test_resource_names_are_the_settings_defaults_for_env_local(composition: dict) -> None:
    # Settings' defaults are the local stack's names (hs-local-...); Terraform gives env X the
    # same pattern with X, so both come from one rule.
    defaults = Settings()
    compared = 0
    for field, value in composition["names"].items():
        assert field in Settings.model_fields, f"names.{field} is not a Settings field"
        # Settings without a local default (None) only exist once deployed.
        if getattr(defaults, field) is not None:
            assert value == getattr(defaults, field), field
            compared += 1
    assert compared >= 5


def test_every_env_var_terraform_sets_is_a_setting(env_values: dict, composition: dict) -> None:
    known = settings_env_names()
    optional = locals_of(COMPOSITION / "main.tf")["optional_env_values"]
    names = set(env_values) | set(composition["secrets"])
    names |= {"HS_OPENAI_BASE_URL"} if "HS_OPENAI_BASE_URL" in str(optional) else set()
    assert names - known == set()
    for env in ("dev", "prod"):
        tfvars = load_hcl(ENVS / env / "terraform.tfvars")["settings"]
        assert set(tfvars.get("secrets", {})) - known == set()
        for fn, extra in tfvars.get("extra_env", {}).items():
            assert fn in ALL_FUNCTIONS and set(extra) - known == set(), (env, fn)


def test_each_function_gets_what_it_needs_and_nothing_local(
    composition: dict, env_values: dict
) -> None:
    per_function = composition["function_env_names"]
    assert set(per_function) == set(ALL_FUNCTIONS)
    for fn, names in per_function.items():
        assert len(names) == len(set(names)), f"{fn} lists a name twice"
        required = REQUIRED_ENV[fn] | BACKEND_ENV["firestore"].get(fn, set())
        assert required <= set(names), f"{fn} misses {required - set(names)}"
        assert not set(names) & LOCAL_ONLY_ENV
        assert set(names) <= set(env_values), f"{fn} names a variable without a value"
        assert not set(names) & BACKEND_ENV["vertex"].get(fn, set()), f"{fn}: no Vector Search"
    # No value is set for nobody (the vertex names go to search and ingest with that backend).
    vertex = set().union(*BACKEND_ENV["vertex"].values())
    assert set(env_values) == set().union(*map(set, per_function.values())) | vertex
    assert env_values["HS_AUTH_MODE"] == "firebase"


def test_chat_never_gets_bigquery_and_ingest_never_gets_the_llm(composition: dict) -> None:
    env = composition["function_env_names"]
    assert not [n for n in env["chat"] if n.startswith("HS_BIGQUERY")]
    assert not [n for n in env["ingest"] if n.startswith("HS_LLM") or n.startswith("HS_OPENAI")]
    iam = (MODULES / "iam" / "main.tf").read_text(encoding="utf-8")
    roles = locals_of(MODULES / "iam" / "main.tf")
    assert "chat" not in roles["dataset_roles"]
    assert all("bigquery" not in r for r in roles["function_roles"]["chat"])
    assert '"hs_vector_writer"' in roles["custom_role_of"]["ingest"]
    writer = locals_of(BOOTSTRAP / "main.tf")["custom_roles"]["hs_vector_writer"]["permissions"]
    assert set(writer) == {
        "aiplatform.endpoints.predict",
        "aiplatform.indexes.get",
        "aiplatform.indexes.update",
    }
    assert '"roles/aiplatform.user"' not in iam


def test_secrets_go_only_to_the_functions_that_read_them(composition: dict) -> None:
    pepper = composition["secrets"]["HS_API_KEY_PEPPER"]
    assert pepper["secret"] == "hs-local-pepper"
    assert sorted(pepper["functions"]) == ["chat", "search", "sessions"]


def test_terraform_function_map_matches_function_folders(composition: dict) -> None:
    variables = load_hcl(COMPOSITION / "variables.tf")["variable"]
    default = next(v["functions"]["default"] for v in variables if "functions" in v)
    assert sorted(default) == sorted(ALL_FUNCTIONS)
    assert set(composition["functions"]) == set(ALL_FUNCTIONS)
    assert function_folders() == set(ALL_FUNCTIONS)


def test_function_overrides_keep_unset_defaults(composition: dict) -> None:
    chat = composition["functions"]["chat"]
    assert chat["max_instances"] == 3
    assert chat["memory"] == "512M" and chat["timeout_seconds"] == 300
    assert composition["functions"]["ingest"]["ingress"] == "ALLOW_INTERNAL_ONLY"
    assert composition["functions"]["reconciler"]["ingress"] == "ALLOW_INTERNAL_ONLY"
    # The default delivery is the push subscription with its dead-letter topic.
    assert composition["functions"]["ingest"]["trigger"] == "http"


def test_eventarc_delivery_makes_ingest_an_event_function(tmp_path: Path) -> None:
    out = evaluate(
        "hybrid_sessions",
        tmp_path,
        composition_vars(ingest_delivery="eventarc"),
        {"ingest": "local.functions.ingest"},
    )
    assert out["ingest"]["trigger"] == "eventarc_pubsub"


def test_composition_rejects_an_unknown_function(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="functions may contain only"):
        evaluate("hybrid_sessions", tmp_path, composition_vars(functions=["chat", "billing"]), {})


def test_model_defaults_match_settings() -> None:
    variables = {
        name: body
        for block in load_hcl(COMPOSITION / "variables.tf")["variable"]
        for name, body in block.items()
    }
    defaults = Settings()
    assert variables["embedding_model"]["default"] == defaults.embedding_model
    assert variables["embedding_dimensions"]["default"] == defaults.embedding_dimensions
    assert variables["llm_model"]["default"] == defaults.llm_model
    assert variables["llm_provider"]["default"] == defaults.llm_provider


# --- OpenAPI: the gateway routes exactly the HTTP functions ----------------------------------


def gateway_vars(**backend_urls: str) -> dict[str, Any]:
    return {
        "project_id": "hs-test-project",
        "region": "us-central1",
        "name_prefix": "hs-test",
        "openapi_file": str(INFRA / "api" / "openapi.yaml"),
        "gateway_service_account": "gw@hs-test-project.iam.gserviceaccount.com",
        "backend_urls": backend_urls,
    }


def test_openapi_operations_name_exactly_the_gateway_functions(composition: dict) -> None:
    spec = yaml.safe_load((INFRA / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    named = {
        op["x-hs-function"]
        for item in spec["paths"].values()
        for key, op in item.items()
        if isinstance(op, dict) and "x-hs-function" in op
    }
    assert named == set(composition["public_functions"])


def test_gateway_document_routes_every_operation_to_its_function(tmp_path: Path) -> None:
    urls = {fn: f"https://hs-test-{fn}-abc.a.run.app" for fn in ("chat", "sessions", "search")}
    out = evaluate(
        "gateway",
        tmp_path,
        gateway_vars(**urls),
        {
            "document": "local.document",
            "unresolved": "local.unresolved",
            "misrouted": "local.misrouted_operations",
        },
    )
    assert out["unresolved"] == [] and out["misrouted"] == []
    doc = yaml.safe_load(out["document"])
    assert "${" not in out["document"]
    assert not {"security", "servers"} & set(doc)
    assert "securitySchemes" not in doc.get("components", {})
    backends = doc["x-google-api-management"]["backends"]
    for name, url in urls.items():
        assert backends[name]["address"] == url and backends[name]["jwtAudience"] == url
    for item in doc["paths"].values():
        for op in item.values():
            if isinstance(op, dict) and "x-hs-function" in op:
                assert op["x-google-backend"] == op["x-hs-function"]
                assert "security" not in op


def test_gateway_refuses_a_route_to_an_undeployed_function(tmp_path: Path) -> None:
    out = evaluate(
        "gateway",
        tmp_path,
        gateway_vars(chat="https://chat", sessions="https://sessions"),
        {"unresolved": "local.unresolved", "misrouted": "local.misrouted_operations"},
    )
    assert out["unresolved"] == ["search"]
    assert out["misrouted"] and all(" /v1/" in op for op in out["misrouted"])


# --- BigQuery: tables and views from the files the local stack provisions -------------------


@pytest.fixture(scope="module")
def bigquery(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return evaluate(
        "bigquery",
        tmp_path_factory.mktemp("bigquery"),
        {
            "project_id": "hs-test-project",
            "dataset_id": "hs_test",
            "location": "US",
            "definitions_dir": str(INFRA / "bigquery"),
            "partition_expiration_days": 30,
        },
        {
            "tables": "local.table_specs",
            "views": "local.views",
            "expiration": "local.partition_expiration_ms",
        },
    )


def test_bigquery_tables_are_partitioned_and_clustered_on_their_columns(bigquery: dict) -> None:
    spec = json.loads((INFRA / "bigquery" / "tables.json").read_text(encoding="utf-8"))
    assert set(bigquery["tables"]) == set(spec["tables"])
    assert bigquery["expiration"] == 30 * 86_400_000
    for name, table in bigquery["tables"].items():
        schema = json.loads((INFRA / "bigquery" / table["schema"]).read_text(encoding="utf-8"))
        columns = {c["name"]: c["type"] for c in schema}
        partitioning = table["time_partitioning"]
        assert partitioning["type"] == "DAY", name
        assert columns[partitioning["field"]] in {"TIMESTAMP", "DATE", "DATETIME"}, name
        assert 1 <= len(table["clustering"]) <= 4 and set(table["clustering"]) <= set(columns)


def test_bigquery_views_render_for_the_dataset(bigquery: dict) -> None:
    files = {p.stem for p in (INFRA / "bigquery" / "views").glob("*.sql")}
    assert set(bigquery["views"]) == files and files
    for name, sql in bigquery["views"].items():
        assert "${" not in sql, name
        assert "`hs-test-project.hs_test." in sql, name
        for table in bigquery["tables"]:
            sql = sql.replace(f"`hs-test-project.hs_test.{table}`", "")
        assert "`hs-test-project.hs_test." not in sql, f"{name} reads an undeclared table"


def test_bigquery_view_sql_is_google_sql() -> None:
    main = (MODULES / "bigquery" / "main.tf").read_text(encoding="utf-8")
    assert "use_legacy_sql = false" in main


# --- Firestore: the index file the emulator's strict mode reads ------------------------------


def test_firestore_indexes_and_ttl_come_from_the_index_file(tmp_path: Path) -> None:
    index_file = INFRA / "firestore.indexes.json"
    spec = json.loads(index_file.read_text(encoding="utf-8"))
    out = evaluate(
        "firestore",
        tmp_path,
        {
            "project_id": "hs-test-project",
            "location_id": "nam5",
            "indexes_file": str(index_file),
            "ttl_fields": [{"collection": "sessions", "field": "expires_at"}],
        },
        {"indexes": "local.indexes", "fields": "local.fields"},
    )
    assert len(out["indexes"]) == len(spec.get("indexes", []))
    assert out["fields"]["sessions/expires_at"]["ttl"] is True
    overrides = {f"{o['collectionGroup']}/{o['fieldPath']}" for o in spec.get("fieldOverrides", [])}
    assert overrides <= set(out["fields"])


def test_firestore_index_keys_are_distinct_per_declaration(tmp_path: Path) -> None:
    index_file = tmp_path / "indexes.json"
    index_file.write_text(
        json.dumps(
            {
                "indexes": [
                    {
                        "collectionGroup": "sessions",
                        "queryScope": "COLLECTION",
                        "fields": [
                            {"fieldPath": "user_id", "order": "ASCENDING"},
                            {"fieldPath": "updated_at", "order": "DESCENDING"},
                        ],
                    },
                    {
                        "collectionGroup": "sessions",
                        "queryScope": "COLLECTION",
                        "fields": [
                            {"fieldPath": "user_id", "order": "ASCENDING"},
                            {"fieldPath": "updated_at", "order": "ASCENDING"},
                        ],
                    },
                    {
                        "collectionGroup": "messages",
                        "queryScope": "COLLECTION_GROUP",
                        "fields": [
                            {"fieldPath": "tags", "arrayConfig": "CONTAINS"},
                            {
                                "fieldPath": "embedding",
                                "vectorConfig": {"dimension": 768, "flat": {}},
                            },
                        ],
                    },
                ],
                "fieldOverrides": [
                    {"collectionGroup": "messages", "fieldPath": "content", "indexes": []}
                ],
            }
        ),
        encoding="utf-8",
    )
    out = evaluate(
        "firestore",
        tmp_path / "tf",
        {"project_id": "hs-test-project", "location_id": "nam5", "indexes_file": str(index_file)},
        {"indexes": "local.indexes", "fields": "local.fields"},
    )
    assert sorted(out["indexes"]) == [
        "messages|COLLECTION_GROUP|tags:CONTAINS|embedding:VECTOR768",
        "sessions|COLLECTION|user_id:ASCENDING|updated_at:ASCENDING",
        "sessions|COLLECTION|user_id:ASCENDING|updated_at:DESCENDING",
    ]
    assert out["fields"]["messages/content"] == {
        "collection": "messages",
        "field": "content",
        "ttl": False,
        "indexes": [],
    }


def test_extra_env_takes_only_hs_settings_of_known_functions(tmp_path: Path) -> None:
    with pytest.raises(TerraformError, match="extra_env is keyed by function name"):
        evaluate(
            "hybrid_sessions", tmp_path, composition_vars(extra_env={"chat": {"PATH": "/x"}}), {}
        )


# --- what each function is deployed with, module outputs stubbed ----------------------------

STUBS = {
    "firestore.database_id": "(default)",
    "pubsub.messages_topic": "hs-local-messages",
    "bigquery.dataset_id": "hs_local",
    "bigquery.location": "US",
    "vector_search.index_id": "projects/p/locations/us-central1/indexes/1",
    "vector_search.index_endpoint_id": "projects/p/locations/us-central1/indexEndpoints/2",
    "vector_search.deployed_index_id": "hs_local_messages",
    "vector_search.public_endpoint_domain": "123.us-central1-456.vdb.vertexai.goog",
    "iam.function_service_accounts": {fn: f"hs-local-{fn}@p.iam" for fn in ALL_FUNCTIONS},
    "iam.gateway_service_account": "hs-local-gateway@p.iam",
    "iam.push_service_account": "hs-local-push@p.iam",
    "iam.scheduler_service_account": "hs-local-scheduler@p.iam",
    "functions.urls": {
        fn: f"https://hs-local-{fn}.run.app" for fn in ("chat", "sessions", "reconciler")
    },
    "vector_functions.urls": {fn: f"https://hs-local-{fn}.run.app" for fn in ("search", "ingest")},
}


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return evaluate_composition(
        tmp_path_factory.mktemp("deployed"),
        composition_vars(
            vector_backend="vertex",
            llm_provider="openai",
            openai_base_url="https://llm.example/v1",
            api_key_pepper_secret="hs-local-pepper",
            secrets={"HS_OPENAI_API_KEY": {"secret": "hs-local-openai", "functions": ["chat"]}},
            extra_env={"chat": {"HS_SYSTEM_PROMPT": "be brief"}},
        ),
        STUBS,
        {
            "functions": "local.function_configs",
            "invokers": "local.invokers",
            "backends": "local.backend_urls",
            "core": "local.core_function_configs",
        },
    )


def test_deployed_env_is_exactly_what_each_function_reads(deployed: dict) -> None:
    known = settings_env_names()
    for fn, config in deployed["functions"].items():
        env = config["env"]
        assert set(env) <= known, fn
        assert REQUIRED_ENV[fn] | BACKEND_ENV["vertex"].get(fn, set()) <= set(env), fn
        assert not set(env) & LOCAL_ONLY_ENV, fn
        assert all(isinstance(v, str) and v for v in env.values()), fn
        assert config["service_account_email"] == f"hs-local-{fn}@p.iam"
    chat = deployed["functions"]["chat"]["env"]
    assert chat["HS_OPENAI_BASE_URL"] == "https://llm.example/v1"
    assert chat["HS_SYSTEM_PROMPT"] == "be brief"
    assert chat["HS_AUTH_MODE"] == "firebase"
    ingest = deployed["functions"]["ingest"]["env"]
    assert ingest["HS_VECTOR_INDEX"] == STUBS["vector_search.index_id"]
    assert ingest["HS_EMBEDDING_DIMENSIONS"] == "768"
    search = deployed["functions"]["search"]["env"]
    assert search["HS_VECTOR_PUBLIC_ENDPOINT"] == STUBS["vector_search.public_endpoint_domain"]
    assert not any("OPENAI" in name for fn in ("sessions", "search", "ingest", "reconciler")
                   for name in deployed["functions"][fn]["env"])  # fmt: skip


def test_functions_without_vectors_get_no_vector_settings(deployed: dict) -> None:
    # Separate configs, so chat, sessions and reconciler never wait for the deployed index.
    assert set(deployed["core"]) == {"chat", "sessions", "reconciler"}
    for fn, config in deployed["core"].items():
        assert not [name for name in config["env"] if name.startswith("HS_VECTOR")], fn


def test_deployed_secrets_reach_only_their_functions(deployed: dict) -> None:
    secrets = {fn: set(c["secrets"]) for fn, c in deployed["functions"].items()}
    assert secrets == {
        "chat": {"HS_API_KEY_PEPPER", "HS_OPENAI_API_KEY"},
        "sessions": {"HS_API_KEY_PEPPER"},
        "search": {"HS_API_KEY_PEPPER"},
        "ingest": set(),
        "reconciler": set(),
    }
    assert deployed["functions"]["chat"]["secrets"]["HS_OPENAI_API_KEY"] == {
        "secret": "hs-local-openai",
        "version": "latest",
    }


def test_each_function_has_exactly_one_invoker_and_only_api_functions_are_gateway_backends(
    deployed: dict,
) -> None:
    assert deployed["invokers"] == {
        "chat": {"gateway": "serviceAccount:hs-local-gateway@p.iam"},
        "sessions": {"gateway": "serviceAccount:hs-local-gateway@p.iam"},
        "search": {"gateway": "serviceAccount:hs-local-gateway@p.iam"},
        "ingest": {"push": "serviceAccount:hs-local-push@p.iam"},
        "reconciler": {"scheduler": "serviceAccount:hs-local-scheduler@p.iam"},
    }
    assert set(deployed["backends"]) == {"chat", "sessions", "search"}
