"""Translation of BigQuery client exceptions into domain errors."""

from __future__ import annotations

from shared.domain.errors import HybridSessionsError, InvalidInput, Unavailable

# BigQuery refuses UPDATE/DELETE/MERGE on rows that insertAll streamed in the last ~30 minutes.
STREAMING_BUFFER_MARKER = "streaming buffer"
# Pub/Sub's longest backoff; the streaming buffer usually flushes within 30-90 minutes.
STREAMING_BUFFER_RETRY_S = 600


def translate(exc: Exception, action: str) -> HybridSessionsError:
    """`Unavailable` for what a later retry can fix, `InvalidInput` for the rest."""
    import requests
    from google.api_core import exceptions as gexc

    message = f"bigquery {action}: {exc}"
    if STREAMING_BUFFER_MARKER in str(exc).lower():
        return Unavailable(
            f"bigquery {action}: rows are still in the streaming buffer; retry later",
            code="streaming_buffer",
            retry_after_s=STREAMING_BUFFER_RETRY_S,
        )
    if isinstance(exc, gexc.NotFound):
        # A missing dataset or table means the environment is not provisioned yet (or the
        # local emulator restarted): retrying after provisioning succeeds, so do not drop it.
        return Unavailable(message, code="not_provisioned")
    if isinstance(exc, gexc.ClientError) and not isinstance(exc, gexc.TooManyRequests):
        return InvalidInput(message, code="bigquery_rejected")
    if isinstance(
        exc,
        gexc.GoogleAPIError | requests.exceptions.RequestException | TimeoutError | OSError,
    ):
        return Unavailable(message)
    raise exc
