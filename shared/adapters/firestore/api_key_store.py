"""`ApiKeyStore` on Firestore: `api_keys/{key_hash}`; the key itself is never stored."""

from __future__ import annotations

from google.cloud import firestore

from shared.adapters.firestore import _convert as convert
from shared.adapters.firestore._errors import translated
from shared.ports.api_keys import ApiKeyRecord, ApiKeyStore


class FirestoreApiKeyStore(ApiKeyStore):
    def __init__(self, client: firestore.Client) -> None:
        self._keys = client.collection("api_keys")

    def get(self, key_hash: str) -> ApiKeyRecord | None:
        with translated():
            snapshot = self._keys.document(key_hash).get()
        if not snapshot.exists:
            return None
        doc = convert.fields(snapshot)
        return ApiKeyRecord(
            key_hash=key_hash,
            tenant_id=doc["tenant_id"],
            user_id=doc["user_id"],
            roles=frozenset(doc.get("roles", ())),
            name=doc.get("name", ""),
            disabled=bool(doc.get("disabled", False)),
            created_at=doc.get("created_at"),
        )

    def put(self, record: ApiKeyRecord) -> None:
        with translated():
            self._keys.document(record.key_hash).set(
                {
                    "tenant_id": record.tenant_id,
                    "user_id": record.user_id,
                    "roles": sorted(record.roles),
                    "name": record.name,
                    "disabled": record.disabled,
                    "created_at": record.created_at or firestore.SERVER_TIMESTAMP,
                }
            )
