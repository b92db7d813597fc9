"""A browser's CORS preflight reaches the function of its path, as in the API Gateway config
that infra/modules/gateway renders (an OPTIONS operation per path); the function answers it."""

from __future__ import annotations

import yaml

from emulators.gateway.routes import SPEC_PATH, Match, WrongMethod, load


def test_options_of_every_path_goes_to_the_function_of_its_operations() -> None:
    table = load()
    spec = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    for template, item in spec["paths"].items():
        path = template.replace("{session_id}", "s-1")
        functions = {op["x-hs-function"] for op in item.values() if isinstance(op, dict)}
        resolved = table.resolve("OPTIONS", path)
        assert isinstance(resolved, Match), template
        assert resolved.function in functions, template


def test_preflight_routing_leaves_allow_and_unknown_paths_alone() -> None:
    table = load()
    wrong = table.resolve("PUT", "/v1/sessions/s-1")
    assert isinstance(wrong, WrongMethod)
    assert "OPTIONS" not in wrong.allow
    assert table.resolve("OPTIONS", "/v1/nothing") is None
