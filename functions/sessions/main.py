"""Cloud Function `sessions` (HTTP): session lookup and management under `/v1/sessions` and
`DELETE /v1/users/me`, see shared/api/sessions.py.

Only functions_framework and shared.web load at import; the routes, services and Google
clients load on the first request (cold start).
"""

import flask
import functions_framework

from shared.web import LazyApp

_app = LazyApp("shared.api.sessions")


@functions_framework.http
def sessions(request: flask.Request) -> flask.Response:
    return _app(request)
