"""`POST /` (or `/v1/reconcile`): one reconciler run, called by Cloud Scheduler.

Not routed by the public gateway; on GCP only the scheduler's service account may invoke it
(Cloud Run invoker IAM), so the function itself checks no end-user credentials.
"""

from __future__ import annotations

from shared.bootstrap import services
from shared.web import Request, Response, Router

router = Router("reconciler")


@router.route("POST", "/")
@router.route("POST", "/v1/reconcile")
def reconcile(request: Request) -> Response:
    return Response(200, services().reconciler.run().as_dict())
