"""The BigQuery client of the settings: the emulator's endpoint and anonymous credentials
locally (`HS_BIGQUERY_ENDPOINT`), Application Default Credentials on GCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery

    from shared.config import Settings


def build_client(settings: Settings) -> bigquery.Client:
    from google.cloud import bigquery

    kwargs: dict[str, Any] = {"project": settings.project, "location": settings.bigquery_location}
    if settings.bigquery_endpoint:
        from google.auth.credentials import AnonymousCredentials

        kwargs["client_options"] = {"api_endpoint": settings.bigquery_endpoint}
        kwargs["credentials"] = AnonymousCredentials()
    return bigquery.Client(**kwargs)
