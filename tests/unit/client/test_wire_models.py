"""One source of truth for the wire: infra/api/openapi.yaml. The Python client's types are
generated from it (and must be fresh), and the server's pydantic models have the fields it
documents, so neither side can drift from the document without a test failing."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from types import ModuleType
from typing import Any

import pytest
from pydantic import BaseModel

from emulators.launcher import REPO_ROOT
from hybrid_sessions import models
from shared.domain import models as server

GENERATOR = REPO_ROOT / "clients" / "python" / "tools" / "generate_models.py"


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_models", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_client_models_are_generated_from_the_current_document() -> None:
    fresh = _generator().render()
    committed = (REPO_ROOT / "clients/python/src/hybrid_sessions/models.py").read_text()
    assert committed == fresh, (
        "clients/python/src/hybrid_sessions/models.py is stale against infra/api/openapi.yaml: "
        "run `make clients` and commit the result"
    )


def test_the_generated_code_is_formatted_as_ruff_formats_it() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--stdin-filename", "models.py", "-"],
        input=_generator().render(),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_generator_refuses_what_it_cannot_type() -> None:
    generator = _generator()
    spec: dict[str, Any] = {
        "info": {"version": "1.0.0"},
        "components": {"schemas": {"X": {"type": "object", "properties": {"a": {"not": {}}}}}},
    }
    with pytest.raises(generator.UnsupportedSchema):
        generator.Generator(spec).render()


def test_yaml_reads_off_as_a_string_as_the_typescript_generator_does() -> None:
    assert _generator().load("enum: [live, off, no]\nflag: true") == {
        "enum": ["live", "off", "no"],
        "flag": True,
    }


# The server's pydantic models and the document's schema each one is on the wire as.
SERVER_MODELS: dict[str, type[BaseModel]] = {
    "Session": server.Session,
    "Message": server.Message,
    "ChatRequest": server.ChatRequest,
    "CreateSessionRequest": server.CreateSession,
    "UpdateSessionRequest": server.UpdateSession,
    "MessageIn": server.MessageIn,
    "AppendMessagesRequest": server.AppendMessages,
}


@pytest.mark.parametrize("schema", sorted(SERVER_MODELS))
def test_server_models_have_the_documented_fields(schema: str) -> None:
    model = SERVER_MODELS[schema]
    wire = {name for name, field in model.model_fields.items() if not field.exclude}
    typed: Any = getattr(models, schema)
    assert wire == typed.__required_keys__ | typed.__optional_keys__, schema
    # What the server always sends, the document requires (a client may index it blindly).
    if schema in ("Session", "Message"):
        assert typed.__required_keys__ <= wire
