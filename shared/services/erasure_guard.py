"""Erasure that late events cannot undo: tombstones written when a deletion is ingested, and
checked before every copy of a message is written.

Pub/Sub may deliver a `MessageCreated` again after its session was deleted or its user erased
(redelivery, a seek, a replay of the dead-letter subscription). Without a check, ingest would
re-insert the BigQuery row and re-upsert the vector. So:

- `SessionChanged(deleted)` and `UserErased` bury a tombstone before their copies are removed
  (a redelivered deletion buries it again: idempotent);
- a batch of messages to ingest is first filtered by `live`: a message of a deleted session,
  or of an erased user created up to the erasure, is dropped (the user may come back: later
  messages are theirs again);
- after a batch's vectors are written, `recheck` looks once more and removes the vectors of
  messages whose deletion was ingested meanwhile, so a deletion racing the write wins.

Tombstones expire after `lifetime`: Pub/Sub's longest retention (31 days, a topic's) plus the
dead-letter replay window (`HS_DEAD_LETTER_REPLAY_DAYS`), after which no copy of the event can
still be delivered; Firestore's TTL policy on `expires_at` removes them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from shared.domain.events import SessionChanged, UserErased
from shared.ports.analytics_sink import MessageRecord
from shared.ports.tombstones import Grave, Tombstone, Tombstones
from shared.ports.vector_index import VectorIndex

log = logging.getLogger(__name__)

PUBSUB_MAX_RETENTION = timedelta(days=31)


def tombstone_lifetime(dead_letter_replay_days: int) -> timedelta:
    return PUBSUB_MAX_RETENTION + timedelta(days=dead_letter_replay_days)


class ErasureGuard:
    def __init__(self, tombstones: Tombstones, *, lifetime: timedelta) -> None:
        self._tombstones = tombstones
        self._lifetime = lifetime

    def bury_session(self, event: SessionChanged) -> None:
        self._bury(event.tenant_id, event.user_id, event.session.session_id, event)

    def bury_user(self, event: UserErased) -> None:
        self._bury(event.tenant_id, event.user_id, None, event)

    def _bury(
        self,
        tenant_id: str,
        user_id: str,
        session_id: str | None,
        event: SessionChanged | UserErased,
    ) -> None:
        erased_at = event.occurred_at
        self._tombstones.bury(
            Tombstone(tenant_id, user_id, session_id, erased_at, erased_at + self._lifetime)
        )

    def live(self, records: Sequence[MessageRecord]) -> list[MessageRecord]:
        """`records` without the messages a tombstone covers."""
        erased = self._erased(records)
        if erased:
            log.info("ingest: %d message(s) of erased data skipped", len(erased))
        return [r for r in records if r.message.message_id not in erased]

    def recheck(self, records: Sequence[MessageRecord], vectors: VectorIndex) -> None:
        """Remove the vectors of `records` erased while they were being written."""
        erased = self._erased(records)
        if erased:
            vectors.remove(sorted(erased))

    def _erased(self, records: Sequence[MessageRecord]) -> set[str]:
        if not records:
            return set()
        graves = {Grave(r.tenant_id, r.user_id, r.message.session_id) for r in records}
        stones = self._tombstones.find(list(graves))
        return {
            r.message.message_id
            for r in records
            for t in stones
            if (t.tenant_id, t.user_id) == (r.tenant_id, r.user_id)
            and t.covers(r.message.session_id, r.message.created_at)
        }
