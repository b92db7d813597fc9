"""Cloud Function `chat` (HTTP): `POST /v1/chat`, see shared/api/chat.py.

Only functions_framework and shared.web load at import; the routes, services and Google
clients load in the background once the serving process starts (`shared.bootstrap.warm_up`),
or on the first request if it comes sooner.
"""

import flask
import functions_framework

from shared.bootstrap import warm_up
from shared.web import LazyApp

_app = LazyApp("shared.api.chat")
warm_up("shared.api.chat", "auth", "chat", "store", "events", "llm")


@functions_framework.http
def chat(request: flask.Request) -> flask.Response:
    return _app(request)
