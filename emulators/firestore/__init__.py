"""A wire-compatible Firestore emulator (gRPC `google.firestore.v1.Firestore`).

Built on the protos `google-cloud-firestore` ships, so the official clients work through
`FIRESTORE_EMULATOR_HOST` unchanged. Run it with `python -m emulators.firestore`, or in process
with `Server(port=0).start()`. See README.md for what it implements.

What it does not mimic:
- locking, by default: transactions are optimistic (the loser of a conflict is ABORTED at
  commit) where production locks documents and makes conflicting writers wait;
  `--transaction-locks pessimistic` locks as Google's emulator does;
- the `Write` stream and pipelines (`ExecutePipeline`) answer UNIMPLEMENTED;
- timing and limits beyond the ones documented (quotas, write rate per document, latency);
- security rules, IAM, TTL deletion, explain plans (metrics are placeholders);
- index selection is a documented subset (see `indexes.py`) and is checked only with
  `--strict-indexes`.
"""

from .server import Server

__all__ = ["Server"]
