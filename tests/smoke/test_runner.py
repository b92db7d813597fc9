"""The deployment side of `python -m tests.smoke --outputs FILE`, against the local stack as if
it were a deployment: the keys it mints act as two users of a tenant of the run's own, and are
disabled when the run ends."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from emulators.stack import Stack
from hybrid_sessions import HybridSessionsClient
from tests.conftest import unique_id
from tests.smoke.__main__ import _deployment


def test_the_run_mints_two_keys_of_its_tenant_and_disables_them(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not stack.has("sessions") or not stack.has("gateway"):
        pytest.skip(f"stack incomplete: {stack.skipped}")
    outputs = tmp_path / "outputs.json"
    # What `terraform output -json` gives, with the stack's settings as env_vars (no pepper).
    outputs.write_text(
        json.dumps({"api_url": {"value": stack.url("gateway")}, "env_vars": {"value": stack.env}}),
        encoding="utf-8",
    )
    for name in stack.env:
        monkeypatch.delenv(name, raising=False)
    run_id = unique_id()
    with _deployment(outputs, run_id):
        url, tokens = (
            os.environ["HS_SMOKE_API_URL"],
            [
                os.environ["HS_SMOKE_TOKEN"],
                os.environ["HS_SMOKE_OTHER_TOKEN"],
            ],
        )
        assert url == stack.url("gateway")
        assert all(t.startswith("hsk_") for t in tokens) and tokens[0] != tokens[1]
        user = HybridSessionsClient(url, tokens[0])
        created = user.create_session(title="smoke")
        assert created["session_id"]
        # The other key is another user: it does not see the first one's session.
        other = HybridSessionsClient(url, tokens[1])
        assert other.list_sessions()["sessions"] == []
        user.erase_me()

    from shared.auth import api_keys
    from shared.bootstrap import services

    store = services().api_keys
    for token in tokens:
        record = store.get(api_keys.hash_key(token, None))
        assert record is not None and record.disabled
        assert record.tenant_id == f"smoke-{run_id}"
