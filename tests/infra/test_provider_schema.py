"""What `terraform validate` would say about the provider side, without the provider: every
`resource` and `data` block in infra/ uses only arguments and nested blocks that the Google (or
time) provider's own schema has, at the version the roots pin, and sets the required ones.

The schema comes from the pinned PyPI packages cdktn-provider-google/-beta/-time (their jsii
assemblies are generated from the providers' schemas), extracted by infra/provider_schema.py
into .tools/provider-schema/schema.json.gz (`make schema`, which `make test` runs first).
"""

from __future__ import annotations

import gzip
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import INFRA, REPO, load_hcl

SCHEMA = REPO / ".tools" / "provider-schema" / "schema.json.gz"
TF_FILES = sorted(p for p in INFRA.rglob("*.tf") if ".terraform" not in p.parts)
# Terraform's own meta-arguments and blocks, valid in every resource or data block.
META = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}


@cache
def _schema() -> dict[str, Any]:
    with gzip.open(SCHEMA, "rt", encoding="utf-8") as handle:
        return json.load(handle)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    if not SCHEMA.exists():
        pytest.skip("the provider schema is not extracted: run `make schema` (make test does)")
    return _schema()


def problems_in_block(body: dict[str, Any], spec: dict[str, Any], where: str) -> list[str]:
    found: list[str] = []
    for name, value in body.items():
        if name == "dynamic":
            for dynamic in value:
                for block_name, dyn in dynamic.items():
                    if block_name not in spec["blocks"]:
                        found.append(f"{where}: no block {block_name!r} (dynamic)")
                        continue
                    for content in dyn.get("content", []):
                        found += problems_in_block(
                            content, spec["blocks"][block_name], f"{where}.{block_name}"
                        )
        elif name in spec["blocks"]:
            for nested in value if isinstance(value, list) else [value]:
                if isinstance(nested, dict):
                    found += problems_in_block(nested, spec["blocks"][name], f"{where}.{name}")
        elif name not in spec["attributes"]:
            found.append(f"{where}: unknown argument {name!r}")
    missing = set(spec["required"]) - set(body) - set(spec["blocks"])
    found += [f"{where}: missing required argument {name!r}" for name in sorted(missing)]
    return found


def problems_in_file(path: Path, schema: dict[str, Any]) -> list[str]:
    found: list[str] = []
    parsed = load_hcl(path)
    for kind in ("resource", "data"):
        for block in parsed.get(kind, []):
            for rtype, named in block.items():
                for name, body in named.items():
                    where = f"{path.name}: {kind} {rtype}.{name}"
                    provider = "time" if rtype.startswith("time_") else "google"
                    if body.get("provider") in ("google-beta", "${google-beta}"):
                        provider = "google-beta"
                    spec = schema[provider][kind].get(rtype)
                    if spec is None:
                        beta = schema["google-beta"][kind].get(rtype)
                        hint = " (google-beta only: set provider = google-beta)" if beta else ""
                        found.append(f"{where}: not in {provider} {kind}s{hint}")
                        continue
                    found += problems_in_block(
                        {k: v for k, v in body.items() if k not in META}, spec, where
                    )
    return found


def test_schema_is_the_pinned_provider_version(schema: dict) -> None:
    pins = load_hcl(INFRA / "versions.tf")["terraform"][0]["required_providers"][0]
    assert {name: p["version"] for name, p in pins.items()} == {
        name: schema[name]["version"] for name in pins
    }
    assert len(schema["google"]["resource"]) > 1000, "a partial extract"


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(INFRA)))
def test_every_block_matches_the_provider_schema(path: Path, schema: dict) -> None:
    assert problems_in_file(path, schema) == []


def test_a_planted_unknown_argument_and_block_are_caught(tmp_path: Path, schema: dict) -> None:
    planted = tmp_path / "main.tf"
    shutil.copy(INFRA / "modules" / "functions" / "main.tf", planted)
    text = planted.read_text(encoding="utf-8")
    text = text.replace("  content_type = ", "  content_typo = ", 1)
    text = text.replace(
        "    entry_point     = each.key\n", "    entry_point = each.key\n    stack {}\n", 1
    )
    planted.write_text(text, encoding="utf-8")
    found = problems_in_file(planted, schema)
    assert (
        "main.tf: resource google_storage_bucket_object.source: unknown argument 'content_typo'"
        in found
    )
    assert any("build_config: unknown argument 'stack'" in p or "no block" in p for p in found), (
        found
    )
    assert len(found) == 2, found


def test_a_missing_required_argument_and_a_beta_only_type_are_caught(
    tmp_path: Path, schema: dict
) -> None:
    planted = tmp_path / "main.tf"
    planted.write_text(
        'resource "google_storage_bucket" "b" {\n  name = "x"\n}\n'
        'resource "google_api_gateway_api" "a" {\n  api_id = "x"\n}\n',
        encoding="utf-8",
    )
    assert problems_in_file(planted, schema) == [
        "main.tf: resource google_storage_bucket.b: missing required argument 'location'",
        "main.tf: resource google_api_gateway_api.a: not in google resources"
        " (google-beta only: set provider = google-beta)",
    ]
