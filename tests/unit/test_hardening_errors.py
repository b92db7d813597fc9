"""Error codes are one enum (shared/domain/errors.py), every one of them used is in it, and the
functions' HTTP server answers its own refusals in the API's JSON error body (through
gunicorn and the gateway: tests/integration/test_hardening_stack.py)."""

from __future__ import annotations

import json
import re

import pytest

from emulators.launcher import REPO_ROOT
from shared.domain.errors import INTERNAL_CODES, ErrorCode, Unavailable, UpstreamError
from shared.web import SERVER_ERRORS, server_error_bytes

CODE_LITERAL = re.compile(r"""code\s*=\s*(f?)["']([a-z_{}]+)["']""")
QUERY_CODES = {"invalid_status", "invalid_order", "invalid_granularity", "invalid_scope",
               "invalid_page_size", "invalid_limit"}  # fmt: skip


def code_literals() -> set[str]:
    found: set[str] = set()
    for folder in ("shared", "emulators/gateway"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for is_f, code in CODE_LITERAL.findall(path.read_text()):
                if not is_f:
                    found.add(code)
    return found


def test_every_error_code_in_the_code_is_a_member_of_the_enum() -> None:
    values = {c.value for c in ErrorCode}
    assert code_literals() - values == set()
    assert values >= QUERY_CODES  # shared.web's `invalid_<parameter>` for query parameters


def test_dependency_failures_never_show_their_own_text() -> None:
    leaky = "503 projects/p/databases/(default)/documents/tenants/t/sessions/.. reset by peer"
    for err in (
        Unavailable(leaky, code="storage_unavailable"),
        Unavailable(leaky, code="llm_unavailable"),
        Unavailable(leaky, code="something_new"),
        UpstreamError(leaky, code="llm_error"),
        UpstreamError(leaky),
    ):
        assert "projects/" not in err.public_message and "peer" not in err.public_message
    assert ErrorCode.MALFORMED_EVENT in INTERNAL_CODES


@pytest.mark.parametrize("status", sorted(SERVER_ERRORS))
def test_server_refusals_are_whole_json_responses(status: int) -> None:
    raw = server_error_bytes(status, "Reason")
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} Reason".encode())
    assert b"Content-Type: application/json" in head
    assert f"Content-Length: {len(body)}".encode() in head
    error = json.loads(body)["error"]
    assert error["code"] in {c.value for c in ErrorCode} and error["message"]
