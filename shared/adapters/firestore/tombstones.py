"""`Tombstones` in Firestore: `tenants/{t}/tombstones/{id}`, one document per deleted session
(`s.<session id>`) or erased user (`u.<sha256 of the user id>`: user ids are free text), with
`expires_at` for the TTL policy declared in infra/firestore.indexes.json. A check is one
batched read of the documents a batch of messages could have."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from google.cloud import firestore

from shared.adapters.firestore._errors import translated
from shared.ports.tombstones import Grave, Tombstone, Tombstones

COLLECTION = "tombstones"


class FirestoreTombstones(Tombstones):
    def __init__(self, db: firestore.Client) -> None:
        self._db = db

    def _ref(self, tenant_id: str, user_id: str, session_id: str | None) -> Any:
        if session_id is not None:
            doc = f"s.{session_id}"
        else:
            doc = f"u.{hashlib.sha256(user_id.encode()).hexdigest()}"
        return (
            self._db.collection("tenants").document(tenant_id).collection(COLLECTION).document(doc)
        )

    def bury(self, tombstone: Tombstone) -> None:
        ref = self._ref(tombstone.tenant_id, tombstone.user_id, tombstone.session_id)
        with translated():
            # A user erased twice keeps the later time, which covers more, even when the
            # earlier erasure's event is the one redelivered last.
            current = ref.get()
            if current.exists and current.get("erased_at") >= tombstone.erased_at:
                return
            ref.set(
                {
                    "tenant_id": tombstone.tenant_id,
                    "user_id": tombstone.user_id,
                    "session_id": tombstone.session_id,
                    "erased_at": tombstone.erased_at,
                    "expires_at": tombstone.expires_at,
                }
            )

    def find(self, graves: Sequence[Grave]) -> list[Tombstone]:
        refs = {}
        for g in graves:
            for sid in (g.session_id, None):
                ref = self._ref(g.tenant_id, g.user_id, sid)
                refs[ref.path] = ref
        if not refs:
            return []
        with translated():
            snapshots = list(self._db.get_all(list(refs.values())))
        found = []
        for snap in snapshots:
            if not snap.exists:
                continue
            d = snap.to_dict() or {}
            found.append(
                Tombstone(
                    tenant_id=d["tenant_id"],
                    user_id=d["user_id"],
                    session_id=d.get("session_id"),
                    erased_at=d["erased_at"],
                    expires_at=d["expires_at"],
                )
            )
        return found
