"""Cloud Function `chat` (HTTP): `POST /v1/chat`, see shared/api/chat.py.

Only functions_framework and shared.web load at import; the routes, services and Google
clients load on the first request (cold start).
"""

import flask
import functions_framework

from shared.web import LazyApp

_app = LazyApp("shared.api.chat")


@functions_framework.http
def chat(request: flask.Request) -> flask.Response:
    return _app(request)
