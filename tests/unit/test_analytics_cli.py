"""`hs analytics` prints the totals and a chart of the series the search function answers."""

from __future__ import annotations

import io

import pytest

from hybrid_sessions.cli import main as cli
from tests.unit.client.test_cli import use

REPORT = {
    "totals": {"messages": 6, "sessions": 2, "users": 1, "messages_per_session": 3.0},
    "series": [
        {"period": "2026-03-09T00:00:00.000000Z", "messages": 4},
        {"period": "2026-03-10T00:00:00.000000Z", "messages": 2},
    ],
}


def test_hs_analytics_passes_the_scope_and_draws_the_series(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent = use(monkeypatch, lambda request: (200, REPORT, {}))
    out = io.StringIO()

    argv = ["--token", "dev:t:root:admin", "analytics", "--granularity", "day", "--scope", "tenant"]
    assert cli.main(argv, out=out) == 0

    url = str(sent[0].url)
    assert "/v1/analytics?" in url and "scope=tenant" in url and "granularity=day" in url
    text = out.getvalue()
    assert "messages_per_session" in text and "3.0" in text
    assert text.count("█") > 0 and "2026-03-09" in text
