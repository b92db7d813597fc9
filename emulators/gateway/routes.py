"""The routing table of the public API, read from its OpenAPI description.

Each operation names the function that serves it (`x-hs-function`, which must agree with API
Gateway's `x-google-backend`), so the local gateway and the cloud one route from the same file.
Matching follows OpenAPI and API Gateway: exact, case-sensitive paths; a template segment
(`{session_id}`) matches one non-empty segment; a path without templates wins over a templated
one; no trailing-slash or prefix matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from emulators.launcher import REPO_ROOT

SPEC_PATH = REPO_ROOT / "infra" / "api" / "openapi.yaml"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# ESPv2's default when a backend sets none.
DEFAULT_DEADLINE_S = 15.0


@dataclass(frozen=True)
class Route:
    template: str
    pattern: re.Pattern[str]
    templated: bool
    functions: dict[str, str]  # HTTP method (upper case) -> function name

    @property
    def preflight(self) -> str | None:
        """Where a CORS preflight (OPTIONS) of this path goes when the document declares no
        OPTIONS: the function of its operations, as infra/modules/gateway adds it for API
        Gateway. That function answers it (shared/cors.py)."""
        return next(iter(self.functions.values()), None)


@dataclass(frozen=True)
class Match:
    route: Route
    function: str


@dataclass(frozen=True)
class WrongMethod:
    route: Route

    @property
    def allow(self) -> list[str]:
        return sorted(self.route.functions)


@dataclass
class RoutingTable:
    routes: list[Route]
    deadlines: dict[str, float] = field(default_factory=dict)  # function -> seconds

    @property
    def functions(self) -> set[str]:
        return {f for r in self.routes for f in r.functions.values()}

    def resolve(self, method: str, path: str) -> Match | WrongMethod | None:
        """The operation `method path` is, `WrongMethod` if only the path is known, else None."""
        for route in self.routes:
            if route.pattern.fullmatch(path):
                function = route.functions.get(method.upper())
                if function is None and method.upper() == "OPTIONS":
                    function = route.preflight
                return Match(route, function) if function else WrongMethod(route)
        return None

    def deadline(self, function: str) -> float:
        return self.deadlines.get(function, DEFAULT_DEADLINE_S)


def load(spec_path: Path = SPEC_PATH) -> RoutingTable:
    with open(spec_path, encoding="utf-8") as fh:
        return from_spec(yaml.safe_load(fh))


def from_spec(spec: dict[str, Any]) -> RoutingTable:
    routes = []
    for template, item in (spec.get("paths") or {}).items():
        functions = {}
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            function = operation.get("x-hs-function")
            if not function:
                raise ValueError(f"{method.upper()} {template} names no x-hs-function")
            backend = operation.get("x-google-backend")
            if backend is not None and backend != function:
                raise ValueError(
                    f"{method.upper()} {template}: x-hs-function {function!r} and "
                    f"x-google-backend {backend!r} disagree"
                )
            functions[method.upper()] = function
        routes.append(_route(template, functions))
    # Literal paths first, as OpenAPI asks ("concrete paths are matched before templated ones").
    routes.sort(key=lambda r: r.templated)
    backends = (spec.get("x-google-api-management") or {}).get("backends") or {}
    deadlines = {
        name: float(b["deadline"]) for name, b in backends.items() if b.get("deadline") is not None
    }
    return RoutingTable(routes, deadlines)


def _route(template: str, functions: dict[str, str]) -> Route:
    parts = re.split(r"(\{[^/{}]+\})", template)
    regex = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts if p)
    return Route(template, re.compile(regex), len(parts) > 1, functions)
