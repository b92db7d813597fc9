"""CORS in the functions' router: a page on an allowed origin (the console on Firebase
Hosting) gets its preflight answered and may read every answer, errors included; any other
origin gets no CORS header, so the browser keeps the answer from it."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import pytest

from shared.config import get_settings
from shared.web import Request, Response, Router

CONSOLE = "https://hs-prod-console.web.app"

router = Router("test")


@router.route("GET", "/v1/things/{thing_id}")
def get_thing(request: Request, thing_id: str) -> Response:
    return Response(200, {"thing_id": thing_id})


@router.route("DELETE", "/v1/things/{thing_id}")
def delete_thing(request: Request, thing_id: str) -> Response:
    return Response(204)


app = flask.Flask(__name__)


@pytest.fixture(autouse=True)
def origins(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HS_CORS_ORIGINS", f"{CONSOLE}/, https://other.example")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def call(method: str, path: str, **headers: str) -> flask.Response:
    with app.test_request_context(path, method=method, headers=headers):
        return router(flask.request)


def test_preflight_from_the_console_lists_the_paths_methods_and_headers() -> None:
    answer = call(
        "OPTIONS",
        "/v1/things/a",
        Origin=CONSOLE,
        **{"Access-Control-Request-Method": "DELETE"},
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert answer.headers["Access-Control-Allow-Methods"] == "DELETE, GET"
    allowed = {h.strip() for h in answer.headers["Access-Control-Allow-Headers"].split(",")}
    assert {"Authorization", "Content-Type", "Idempotency-Key"} <= allowed
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_answers_and_errors_carry_the_origin_so_the_page_can_read_them() -> None:
    ok = call("GET", "/v1/things/a", Origin=CONSOLE)
    assert ok.status_code == 200 and ok.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "Retry-After" in ok.headers["Access-Control-Expose-Headers"]
    missing = call("GET", "/v1/nothing", Origin=CONSOLE)
    assert missing.status_code == 404 and missing.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_another_origin_gets_no_cors_headers() -> None:
    for method, extra in (("GET", {}), ("OPTIONS", {"Access-Control-Request-Method": "GET"})):
        answer = call(method, "/v1/things/a", Origin="https://evil.example", **extra)
        assert "Access-Control-Allow-Origin" not in answer.headers, method
        assert answer.headers["Vary"] == "Origin"


def test_preflight_of_an_unknown_path_is_not_found_and_without_origins_none_is_allowed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    unknown = call(
        "OPTIONS", "/v1/nothing", Origin=CONSOLE, **{"Access-Control-Request-Method": "GET"}
    )
    assert unknown.status_code == 404
    monkeypatch.delenv("HS_CORS_ORIGINS")
    get_settings.cache_clear()
    answer = call("GET", "/v1/things/a", Origin=CONSOLE)
    assert "Access-Control-Allow-Origin" not in answer.headers and "Vary" not in answer.headers
    # An OPTIONS that is no preflight stays a method the path does not have.
    assert call("OPTIONS", "/v1/things/a").status_code == 405
