"""The console's cloud side, checked statically (no cloud is reachable): the config.json the
console module writes has exactly the fields console/src/config.ts reads, the site is the
console's origin, and the API Gateway config answers every path's CORS preflight through the
function that serves the path."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.infra.conftest import INFRA, MODULES, evaluate, load_hcl
from tests.infra.test_names import gateway_vars

CONFIG_TS = INFRA.parent / "console" / "src" / "config.ts"


def interface_fields(name: str) -> set[str]:
    body = re.search(rf"export interface {name} \{{(.*?)\n\}}", CONFIG_TS.read_text(), re.S)
    assert body, name
    return set(re.findall(r"^  (\w+)\??:", body.group(1), re.M))


def test_config_json_has_the_fields_the_console_reads() -> None:
    config = load_hcl(MODULES / "console" / "locals.tf")["locals"][0]["config"]
    assert set(config) == interface_fields("ConsoleConfig")
    assert set(config["firebase"]) == interface_fields("FirebaseWebConfig")
    assert config["auth"] == "firebase"
    assert "data.google_firebase_web_app_config.console.api_key" in config["firebase"]["apiKey"]


def test_the_site_is_the_origin_the_functions_allow() -> None:
    main = (MODULES / "console" / "main.tf").read_text()
    assert 'site_id = "${var.name_prefix}-console"' in main
    outputs = load_hcl(MODULES / "console" / "outputs.tf")["output"]
    origin = next(o["origin"] for o in outputs if "origin" in o)
    assert "HS_CORS_ORIGINS" in origin["description"]
    assert "default_url" in load_hcl(MODULES / "console" / "locals.tf")["locals"][0]["origin"]


def test_gateway_config_routes_each_paths_preflight_to_its_function(tmp_path: Path) -> None:
    urls = {fn: f"https://hs-test-{fn}.run.app" for fn in ("chat", "sessions", "search")}
    out = evaluate("gateway", tmp_path, gateway_vars(**urls), {"document": "local.document"})
    doc = yaml.safe_load(out["document"])
    source = yaml.safe_load((INFRA / "api" / "openapi.yaml").read_text(encoding="utf-8"))
    ids = [
        op["operationId"]
        for item in doc["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    ]
    assert len(ids) == len(set(ids))
    for path, item in doc["paths"].items():
        served = {
            op["x-hs-function"]
            for op in source["paths"][path].values()
            if isinstance(op, dict) and "x-hs-function" in op
        }
        preflight = item["options"]
        assert preflight["x-google-backend"] == preflight["x-hs-function"], path
        assert {preflight["x-hs-function"]} <= served, path
        assert "security" not in preflight
