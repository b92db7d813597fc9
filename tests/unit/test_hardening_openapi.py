"""One source for every limit: infra/api/openapi.yaml publishes the values the code enforces
(shared/domain/validation.py, shared/domain/search.py, shared/config.py defaults), the error
codes of `ErrorCode`, and the server-sent events chat streams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import functions_framework
import pytest
import yaml
from openapi_schema_validator import OAS30Validator

from emulators.launcher import REPO_ROOT
from shared import bootstrap
from shared.config import Settings
from shared.domain import page_tokens, search, validation
from shared.domain.errors import PUBLIC_CODES
from tests.unit.session_fakes import Fakes, build

SPEC = yaml.safe_load(Path(REPO_ROOT / "infra/api/openapi.yaml").read_text())
SCHEMAS = SPEC["components"]["schemas"]
PARAMETERS = SPEC["components"]["parameters"]


def resolve(node: Any) -> Any:
    """`node` with every local $ref replaced by its target (the document has no cycles)."""
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = SPEC
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


def validator(schema: dict[str, Any]) -> OAS30Validator:
    return OAS30Validator(resolve(schema))


def test_published_limits_are_the_enforced_ones() -> None:
    defaults = Settings()
    props = {name: SCHEMAS[name]["properties"] for name in SCHEMAS if "properties" in SCHEMAS[name]}
    key = PARAMETERS["IdempotencyKey"]["schema"]
    assert key["maxLength"] == validation.MAX_IDEMPOTENCY_KEY_CHARS
    assert key["pattern"] == validation.IDEMPOTENCY_KEY_PATTERN
    assert props["ChatRequest"]["message"]["maxLength"] == defaults.max_message_chars
    assert props["MessageIn"]["content"]["maxLength"] == defaults.max_message_chars
    assert props["CreateSessionRequest"]["title"]["maxLength"] == defaults.max_title_chars
    assert props["UpdateSessionRequest"]["title"]["maxLength"] == defaults.max_title_chars
    assert props["AppendMessagesRequest"]["messages"]["maxItems"] == defaults.max_append_messages
    assert PARAMETERS["PageSize"]["schema"]["maximum"] == defaults.max_page_size
    assert PARAMETERS["PageToken"]["schema"]["maxLength"] == page_tokens.MAX_TOKEN_CHARS
    metadata = SCHEMAS["Metadata"]
    assert metadata["x-hs-max-bytes"] == defaults.max_metadata_bytes
    assert metadata["x-hs-max-depth"] == validation.FIRESTORE_MAX_DEPTH
    assert metadata["x-hs-property-names"]["maxLength"] == validation.MAX_KEY_CHARS
    assert metadata["x-hs-property-names"]["not"]["pattern"] == validation.RESERVED_KEY_PATTERN
    assert props["SearchRequest"]["query"]["maxLength"] == search.MAX_QUERY_CHARS
    assert props["SearchRequest"]["limit"]["maximum"] == search.MAX_SEARCH_LIMIT
    similar = SPEC["paths"]["/v1/sessions/{session_id}/similar"]["get"]["parameters"]
    assert similar[0]["schema"]["maximum"] == search.MAX_SIMILAR_LIMIT
    assert f"{defaults.analytics_max_days} days" in SPEC["paths"]["/v1/analytics"]["get"][
        "description"
    ].replace("\n", " ")


def test_every_public_error_code_is_published() -> None:
    published = SCHEMAS["Error"]["properties"]["error"]["properties"]["code"]["x-hs-codes"]
    assert sorted(published) == sorted(PUBLIC_CODES)


@pytest.fixture
def fx() -> Iterator[Fakes]:
    fakes = build()
    bootstrap.use(fakes.services)
    yield fakes
    bootstrap.use(None)


def test_chat_stream_events_match_their_published_schemas(fx: Fakes) -> None:
    events = SCHEMAS["EventStream"]["x-sse-events"]
    chat = functions_framework.create_app(
        "chat", str(REPO_ROOT / "functions/chat/main.py")
    ).test_client()
    response = chat.post(
        "/v1/chat",
        json={"message": "hello there", "stream": True},
        headers={"Authorization": "Bearer dev:t1:ann"},
    )
    seen = []
    for block in response.get_data(as_text=True).strip().split("\n\n"):
        head, data = block.split("\n", 1)
        name = head.removeprefix("event: ")
        validator(events[name]).validate(json.loads(data.removeprefix("data: ")))
        seen.append(name)
    assert seen[0] == "session" and seen[-1] == "done" and set(seen[1:-1]) == {"delta"}
