"""`HistorySource` on the Firestore layout of this package: sessions in document-path order
(a collection-group query across tenants), which needs no composite index, and whose cursor,
the last document path, stays valid however many sessions are added meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.field_path import FieldPath

from shared.adapters.firestore import _convert as convert
from shared.adapters.firestore._errors import translated
from shared.domain.models import Message, Session
from shared.ports.history_source import HistorySource, ScannedSession


class FirestoreHistorySource(HistorySource):
    def __init__(self, client: firestore.Client) -> None:
        self._db = client

    def scan_sessions(
        self, *, tenant_id: str | None, after: str | None, limit: int
    ) -> list[ScannedSession]:
        source: Any = (
            self._db.collection("tenants").document(tenant_id).collection("sessions")
            if tenant_id is not None
            else self._db.collection_group("sessions")
        )
        query = source.order_by(FieldPath.document_id())
        if after is not None:
            query = query.start_after({FieldPath.document_id(): self._db.document(after)})
        with translated():
            snapshots = list(query.limit(limit).stream())
        return [
            ScannedSession(cursor=s.reference.path, session=convert.session_from_doc(s.to_dict()))
            for s in snapshots
        ]

    def messages(self, session: Session, *, page_size: int) -> Iterator[list[Message]]:
        collection = (
            self._db.collection("tenants")
            .document(session.tenant_id)
            .collection("sessions")
            .document(session.session_id)
            .collection("messages")
        )
        last_seq: int | None = None
        while True:
            query = collection.order_by("seq")
            if last_seq is not None:
                query = query.start_after({"seq": last_seq})
            with translated():
                page = [
                    convert.message_from_doc(s.to_dict()) for s in query.limit(page_size).stream()
                ]
            if page:
                yield page
            if len(page) < page_size:
                return
            last_seq = page[-1].seq
