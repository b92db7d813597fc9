"""What every route module needs: the caller and the Idempotency-Key of a request."""

from __future__ import annotations

from shared.bootstrap import services
from shared.domain.models import Caller
from shared.services.idempotency import check_key
from shared.web import Request


def caller(request: Request) -> Caller:
    return services().auth.authenticate(request.headers)


def idempotency_key(request: Request) -> str | None:
    return check_key(request.header("Idempotency-Key"))
