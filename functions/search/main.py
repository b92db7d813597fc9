"""Cloud Function `search` (HTTP): search by meaning with a keyword fallback, similar
conversations, analytics and feature status, see shared/api/search.py.

Only functions_framework and shared.web load at import; the routes, services and Google
clients (Firestore, google-genai, aiplatform_v1, BigQuery) load on the first request that needs
them (cold start).
"""

import flask
import functions_framework

from shared.web import LazyApp

_app = LazyApp("shared.api.search")


@functions_framework.http
def search(request: flask.Request) -> flask.Response:
    return _app(request)
