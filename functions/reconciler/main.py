"""Cloud Function `reconciler` (HTTP, called by Cloud Scheduler): republishes the events a
Pub/Sub outage left behind, see shared/services/reconciler.py.
"""

import flask
import functions_framework

from shared.web import LazyApp

_app = LazyApp("shared.api.reconciler")


@functions_framework.http
def reconciler(request: flask.Request) -> flask.Response:
    return _app(request)
