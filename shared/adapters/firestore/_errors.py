"""google.api_core exceptions -> domain errors, so nothing above the adapter sees Google types."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from google.api_core import exceptions as gexc

from shared.domain.errors import Conflict, InvalidInput, NotFound, Unavailable

T = TypeVar("T")

_TRANSIENT = (
    gexc.ServiceUnavailable,
    gexc.DeadlineExceeded,
    gexc.TooManyRequests,
    gexc.InternalServerError,
    gexc.RetryError,
)


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except _TRANSIENT as exc:
        raise Unavailable(f"Firestore unavailable: {exc}", code="storage_unavailable") from exc
    except gexc.Aborted as exc:
        raise Unavailable(
            "too many concurrent writes to this session; retry", code="contention", retry_after_s=1
        ) from exc
    except gexc.AlreadyExists as exc:
        raise Conflict("it exists already", code="already_exists", detail=exc.message) from exc
    except gexc.NotFound as exc:
        raise NotFound("not found", code="not_found", detail=exc.message) from exc
    except gexc.InvalidArgument as exc:
        # Firestore's text names the project and the document path: it stays in the logs.
        raise InvalidInput(
            "the data cannot be stored", code="invalid_argument", detail=exc.message
        ) from exc


def with_contention_retry(run: Callable[[], T], *, attempts: int = 30) -> T:
    """Run a transaction, retrying aborted ones with jittered backoff.

    The client's own retry (`max_attempts`) re-runs a transaction at once and only when the
    commit aborts; under heavy contention (50 appends to one session) reads abort too, and an
    immediate retry just collides again. After its last attempt the client rolls back, and
    the rollback of an aborted transaction may fail in turn, hiding the `Aborted` in the chain."""
    delay = 0.02
    for attempt in range(attempts):
        try:
            return run()
        except Exception as exc:
            if not _aborted(exc):
                raise
            if attempt == attempts - 1:
                raise Unavailable(
                    "too many concurrent writes to this session; retry",
                    code="contention",
                    retry_after_s=1,
                ) from exc
        time.sleep(random.uniform(delay / 2, delay))
        delay = min(delay * 2, 0.5)
    raise AssertionError("unreachable")


def _aborted(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, gexc.Aborted):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False
