"""Cloud Function `sessions` (HTTP): session lookup and management under `/v1/sessions` and
`DELETE /v1/users/me`, see shared/api/sessions.py.

Only functions_framework and shared.web load at import; the routes, services and Google
clients load in the background once the serving process starts (`shared.bootstrap.warm_up`),
or on the first request if it comes sooner.
"""

import flask
import functions_framework

from shared.bootstrap import warm_up
from shared.web import LazyApp

_app = LazyApp("shared.api.sessions")
warm_up("shared.api.sessions", "auth", "sessions", "store", "events")


@functions_framework.http
def sessions(request: flask.Request) -> flask.Response:
    return _app(request)
