"""A wire-compatible Pub/Sub emulator (gRPC `google.pubsub.v1.Publisher` and `Subscriber`).

Built on the protos `google-cloud-pubsub` ships, so the official clients work through
`PUBSUB_EMULATOR_HOST` unchanged. Run it with `python -m emulators.pubsub`, or in process with
`Server(port=0).start()`. Shaped like Go's `pstest`: state in maps keyed by full resource name
behind one lock, the service's gRPC codes, test hooks on `Server`. See README.md.

Unlike Google's own emulator it enforces the service's limits (ack deadlines 10..600 s, attribute
sizes, dead-letter attempts 5..100), forwards to dead-letter topics, backs off per retry policy,
applies subscription filters and delivers push subscriptions with production's semantics.

What it does not mimic:
- timing: delivery is as fast as the machine allows; push has no adaptive rate limiting, only a
  fixed bound of outstanding requests per subscription; no 30-minute stream timeouts;
- ordering keys are delivered one outstanding message per key (stricter than production, which
  may send several messages of a key at once); publish-side ordering-key pausing is the client's;
- exactly-once delivery is only reported (`subscription_properties`), not guaranteed beyond what
  ack ids already give (a stale ack id is ignored, never acks the redelivery);
- snapshots, Seek to a snapshot, schemas, IAM, BigQuery/Cloud Storage/Bigtable subscriptions,
  message transforms, ingestion, expiration of idle subscriptions: stored or UNIMPLEMENTED;
- quotas and throughput limits; project existence (any project id is accepted).
"""

from .server import Server

__all__ = ["Server"]
