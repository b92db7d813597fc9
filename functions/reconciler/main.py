"""Cloud Function `reconciler` (HTTP, called by Cloud Scheduler): republishes the events a
Pub/Sub outage left behind, see shared/services/reconciler.py.
"""

import functions_framework

from shared.web import LazyApp

_app = LazyApp("shared.api.reconciler")


@functions_framework.http
def reconciler(request):
    return _app(request)
