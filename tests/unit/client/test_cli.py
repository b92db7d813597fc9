from __future__ import annotations

import io

import pytest

from shared.cli import main as cli
from shared.cli.render import bars, table
from shared.client.http_client import HybridSessionsClient
from tests.unit.client.fake_transport import session_with


def test_table_aligns_columns_and_truncates_long_cells() -> None:
    text = table([{"a": 1, "b": "x" * 80}, {"a": 22, "b": None}], ["a", "b"], width=10)
    lines = text.splitlines()
    assert lines[0].split() == ["a", "b"]
    assert lines[2].endswith("xxxxxxxxx…")


def test_bars_scale_to_the_largest_value() -> None:
    chart = bars([("mon", 10), ("tue", 5)], width=10).splitlines()
    assert chart[0].count("█") == 10 and chart[1].count("█") == 5


def test_cli_refuses_to_run_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HS_API_TOKEN", raising=False)
    assert cli.main(["status"]) == 2


def test_cli_lists_sessions_as_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    page = {
        "sessions": [
            {
                "session_id": "s1",
                "title": "Trip",
                "status": "active",
                "message_count": 4,
                "updated_at": "2026-11-27T10:00:00Z",
            }
        ]
    }
    session, transport = session_with(lambda request: (200, page, {}))

    def client_factory(url: str, token: str) -> HybridSessionsClient:
        return HybridSessionsClient(url, token, session=session)

    monkeypatch.setattr(cli, "HybridSessionsClient", client_factory)
    out = io.StringIO()
    assert cli.main(["--token", "dev:alice", "sessions", "--status", "active"], out=out) == 0
    assert "Trip" in out.getvalue() and "s1" in out.getvalue()
    assert "status=active" in transport.requests[0].url


def test_cli_prints_api_errors_with_their_code(monkeypatch, capsys) -> None:
    error = {"error": {"code": "not_found", "message": "no such session"}}
    session, _ = session_with(lambda request: (404, error, {}))
    monkeypatch.setattr(
        cli, "HybridSessionsClient", lambda u, t: HybridSessionsClient(u, t, session=session)
    )
    assert cli.main(["--token", "dev:a", "show", "nope"]) == 1
    assert "404 not_found" in capsys.readouterr().err
