"""The gateway serves the built web console beside the API (what Firebase Hosting does in the
cloud): files under `/`, never a path of the API, never a file outside the console's folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.test import Client

from emulators.gateway.proxy import Gateway
from emulators.gateway.routes import load


@pytest.fixture
def console(tmp_path: Path) -> Path:
    (tmp_path / "console" / "assets").mkdir(parents=True)
    (tmp_path / "console" / "index.html").write_text("<!doctype html><title>console</title>")
    (tmp_path / "console" / "assets" / "index-abc123.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    return tmp_path / "console"


def client(console_dir: Path | None) -> Client:
    return Client(Gateway(load(), {}, console_dir=console_dir))


def test_root_is_the_console_page_and_assets_are_cached_for_good(console: Path) -> None:
    page = client(console).get("/")
    assert page.status_code == 200
    assert page.mimetype == "text/html"
    assert "<title>console</title>" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-cache"
    asset = client(console).get("/assets/index-abc123.js")
    assert asset.status_code == 200
    assert asset.mimetype in ("text/javascript", "application/javascript")
    assert "immutable" in asset.headers["Cache-Control"]
    assert client(console).head("/").status_code == 200


def test_api_paths_and_missing_files_keep_the_api_error_shape(console: Path) -> None:
    for path in (
        "/config.json",
        "/v1/nothing",
        "/assets/none.js",
        "/../secret.txt",
        "/%2e%2e/secret.txt",
    ):
        answer = client(console).get(path)
        assert answer.status_code == 404, path
        body = answer.json
        assert body is not None
        assert body == {"error": {"code": "not_found", "message": body["error"]["message"]}}
    # An operation of the API is still the API's (here: no backend configured, so 503).
    assert client(console).get("/v1/sessions").status_code == 503
    assert client(console).post("/").status_code == 404


def test_without_a_console_root_is_not_found(console: Path) -> None:
    assert client(None).get("/").status_code == 404
