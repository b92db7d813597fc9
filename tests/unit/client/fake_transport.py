"""A requests transport adapter that answers from a script: unit tests need no sockets."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import BaseAdapter

Handler = Callable[[requests.PreparedRequest], tuple[int, Any, dict[str, str]]]


@dataclass
class FakeTransport(BaseAdapter):
    handler: Handler
    requests: list[requests.PreparedRequest] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.requests.append(request)
        status, body, headers = self.handler(request)
        response = requests.Response()
        response.status_code = status
        response.request = request
        response.url = request.url or ""
        if isinstance(body, bytes):
            raw = body
        elif body is None:
            raw = b""
        else:
            raw = json.dumps(body).encode()
            headers = {"Content-Type": "application/json", **headers}
        response.headers.update(headers)
        response._content = raw
        return response

    def close(self) -> None:
        pass


def session_with(handler: Handler) -> tuple[requests.Session, FakeTransport]:
    transport = FakeTransport(handler)
    session = requests.Session()
    session.mount("http://", transport)
    return session, transport
