from __future__ import annotations

import io

import httpx
import pytest

from hybrid_sessions import API_VERSION, HybridSessionsClient, __version__
from hybrid_sessions.cli import main as cli
from hybrid_sessions.cli.render import bars, table
from tests.unit.client.fake_transport import Handler, body, transport


def use(monkeypatch: pytest.MonkeyPatch, handler: Handler) -> list[httpx.Request]:
    """Make `hs` talk to `handler` instead of a server."""
    mock, sent = transport(handler)
    monkeypatch.setattr(
        cli,
        "HybridSessionsClient",
        lambda url, token: HybridSessionsClient(
            url, token, http_client=httpx.Client(transport=mock)
        ),
    )
    return sent


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
    sent = use(monkeypatch, lambda request: (200, page, {}))
    out = io.StringIO()
    assert cli.main(["--token", "dev:alice", "sessions", "--status", "active"], out=out) == 0
    assert "Trip" in out.getvalue() and "s1" in out.getvalue()
    assert sent[0].url.params["status"] == "active"


def test_cli_prints_api_errors_with_their_code(monkeypatch, capsys) -> None:
    use(monkeypatch, lambda request: (404, {"error": {"code": "not_found", "message": "no"}}, {}))
    assert cli.main(["--token", "dev:a", "show", "nope"]) == 1
    assert "404 not_found" in capsys.readouterr().err


def _reply(request: httpx.Request):
    sent = body(request)
    return 201, {"session_id": "s7", "reply": {"content": f"re: {sent['message']}"}}, {}


def test_hs_chat_with_a_message_prints_the_reply_alone(monkeypatch, capsys) -> None:
    sent = use(monkeypatch, _reply)
    out = io.StringIO()
    assert cli.main(["--token", "dev:a", "chat", "one", "message"], out=out) == 0
    assert out.getvalue() == "re: one message\n"
    assert "session: s7" in capsys.readouterr().err
    assert body(sent[0]) == {"message": "one message"}


def test_hs_chat_reads_messages_from_stdin_until_an_empty_line(monkeypatch, capsys) -> None:
    stream = (
        b'event: session\ndata: {"session_id": "s8", "created": true}\n\n'
        b'event: delta\ndata: {"text": "ok"}\n\n'
        b'event: done\ndata: {"session_id": "s8", "reply": {"content": "ok"}}\n\n'
    )
    sent = use(monkeypatch, lambda request: (200, stream, {"Content-Type": "text/event-stream"}))
    out = io.StringIO()
    stdin = io.StringIO("first\nsecond\n\nnever sent\n")
    assert cli.main(["--token", "dev:a", "chat"], out=out, stdin=stdin) == 0
    assert out.getvalue() == "ok\nok\n"
    assert [body(r)["message"] for r in sent] == ["first", "second"]
    assert body(sent[1])["session_id"] == "s8"
    assert "session: s8" in capsys.readouterr().err


def test_hs_reports_an_unreachable_server(monkeypatch, capsys) -> None:
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    use(monkeypatch, refuse)
    assert cli.main(["--token", "dev:a", "status"]) == 1
    assert "cannot reach" in capsys.readouterr().err


def test_hs_version_names_the_client_and_the_api(capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.strip() == f"hs {__version__} (API {API_VERSION})"
