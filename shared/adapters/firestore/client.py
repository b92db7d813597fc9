"""The one place a Firestore client is built. `FIRESTORE_EMULATOR_HOST` (read by the client
library itself) moves only the endpoint."""

from __future__ import annotations

from google.cloud import firestore

from shared.config import Settings


def build_client(settings: Settings) -> firestore.Client:
    return firestore.Client(project=settings.project, database=settings.firestore_database)
