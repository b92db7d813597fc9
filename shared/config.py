"""Configuration: the only module that reads the environment.

Every variable is documented here and in the root README's table; Terraform sets the same names
(a test checks that). Google's own variables (`GOOGLE_CLOUD_PROJECT`, `*_EMULATOR_HOST`) keep their
names; ours start with `HS_`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HS_", extra="ignore", frozen=True)

    # --- where we run -------------------------------------------------------------------
    project: str = Field(
        "hs-local",
        validation_alias=AliasChoices("GOOGLE_CLOUD_PROJECT", "HS_PROJECT"),
        description="GCP project id (GOOGLE_CLOUD_PROJECT).",
    )
    env: str = Field("local", description="Environment name: local, dev, prod, ...")
    region: str = Field("us-central1", description="Region of functions, Pub/Sub, Vertex AI.")

    # --- Firestore ----------------------------------------------------------------------
    firestore_emulator_host: str | None = Field(
        None,
        validation_alias="FIRESTORE_EMULATOR_HOST",
        description="host:port of a Firestore emulator; unset on GCP.",
    )
    firestore_database: str = Field("(default)", description="Firestore database id.")

    # --- Pub/Sub ------------------------------------------------------------------------
    pubsub_emulator_host: str | None = Field(
        None,
        validation_alias="PUBSUB_EMULATOR_HOST",
        description="host:port of a Pub/Sub emulator; unset on GCP.",
    )
    messages_topic: str = Field("hs-local-messages", description="Topic of message events.")
    pubsub_ordering: bool = Field(
        False,
        description="Publish with ordering keys (session id). The client then retries a failed "
        "key without end, so the reconciler, not ordering, is what guarantees delivery.",
    )
    dead_letter_topic: str = Field(
        "hs-local-messages-dead-letter", description="Where undeliverable message events go."
    )
    dead_letter_subscription: str = Field(
        "hs-local-messages-dead-letter", description="Pull subscription that keeps dead letters."
    )
    ingest_subscription: str = Field(
        "hs-local-ingest", description="Push subscription of the messages topic to ingest."
    )

    # --- BigQuery -----------------------------------------------------------------------
    bigquery_dataset: str = Field("hs_local", description="Dataset of the analytics tables.")
    bigquery_location: str = Field("US", description="Dataset location.")
    bigquery_endpoint: str | None = Field(
        None, description="BigQuery REST endpoint override (the local emulator); unset on GCP."
    )
    bigquery_timeout_s: float = Field(
        10.0, gt=0, description="Deadline of one BigQuery call, its retries included."
    )

    # --- Vertex AI: LLM, embeddings, Vector Search ---------------------------------------
    vertex_endpoint: str | None = Field(
        None, description="Base URL of the local Vertex AI emulator; unset on GCP."
    )
    vertex_location: str = Field("us-central1", description="Vertex AI location for models.")
    llm_provider: Literal["vertex", "openai"] = Field("vertex", description="LLM backend.")
    llm_model: str = Field("gemini-3.5-flash", description="Model name for chat replies.")
    llm_timeout_s: float = Field(60.0, gt=0, description="Timeout of one LLM call.")
    openai_base_url: str | None = Field(
        None, description="OpenAI-compatible base URL (OpenAI, vLLM, Ollama) when provider=openai."
    )
    openai_api_key: str | None = Field(
        None, description="API key for the OpenAI-compatible endpoint (from Secret Manager)."
    )
    embedding_model: str = Field("text-embedding-005", description="Embedding model.")
    embedding_dimensions: int = Field(768, gt=0, description="Vector size of the index.")
    vector_backend: Literal["firestore", "vertex", "chroma"] = Field(
        "vertex",
        description="Where vectors live: firestore (find_nearest, no idle cost), vertex "
        "(Vertex AI Vector Search, for scale) or chroma (a self-hosted Chroma server).",
    )
    chroma_url: str | None = Field(
        None, description="Base URL of the Chroma server when vector_backend=chroma."
    )
    vector_index: str | None = Field(
        None, description="Vector Search index resource name (projects/../indexes/..)."
    )
    vector_index_endpoint: str | None = Field(
        None, description="Vector Search index endpoint resource name."
    )
    vector_deployed_index_id: str | None = Field(None, description="Deployed index id.")
    vector_public_endpoint: str | None = Field(
        None, description="Public endpoint domain of the index endpoint (find_neighbors host)."
    )
    vertex_timeout_s: float = Field(
        10.0, gt=0, description="Deadline of one embedding or Vector Search call."
    )

    # --- Auth ---------------------------------------------------------------------------
    auth_mode: Literal["firebase", "dev"] = Field(
        "firebase", description="firebase = verified ID tokens and API keys; dev = local only."
    )
    firebase_project: str | None = Field(
        None, description="Project whose Firebase/Identity Platform ID tokens are accepted."
    )
    default_tenant: str = Field(
        "default", description="Tenant of ID tokens without a `firebase.tenant` claim."
    )
    api_key_pepper: str | None = Field(
        None, description="Secret mixed into API key hashes (HMAC-SHA256), from Secret Manager."
    )
    page_token_key: str | None = Field(
        None,
        description="Secret that signs page tokens (HMAC-SHA256), from Secret Manager; unset = "
        "a key derived from the project id (local runs).",
    )
    k_service: str | None = Field(
        None,
        validation_alias="K_SERVICE",
        description="Set by Cloud Run / Cloud Functions; dev auth refuses to run when present.",
    )

    # --- Limits -------------------------------------------------------------------------
    max_message_chars: int = Field(32_000, gt=0, description="Longest accepted message.")
    context_max_messages: int = Field(20, gt=0, description="Messages sent to the LLM per turn.")
    context_token_budget: int = Field(8_000, gt=0, description="Token budget of that context.")
    default_page_size: int = Field(
        50, gt=0, le=1000, description="Page size when a request gives none."
    )
    max_page_size: int = Field(1000, gt=0, description="Largest page size a request may ask.")
    max_body_bytes: int = Field(2 * 1024 * 1024, gt=0, description="Largest request body.")
    max_append_messages: int = Field(
        250, gt=0, le=400, description="Messages per append request (one commit)."
    )
    max_metadata_bytes: int = Field(16_384, gt=0, description="Largest metadata object (JSON).")
    max_title_chars: int = Field(200, gt=0, description="Longest session title.")
    system_prompt: str | None = Field(None, description="System instruction of every chat.")
    idempotency_ttl_s: int = Field(86_400, gt=0, description="How long idempotency keys live.")
    dead_letter_replay_days: int = Field(
        7,
        ge=0,
        le=365,
        description="How long after Pub/Sub's retention a dead letter may still be replayed; "
        "erasure tombstones live 31 days (Pub/Sub's longest retention) plus this.",
    )
    session_retention_days: int | None = Field(
        None,
        gt=0,
        description="Messages older than this many days and sessions inactive this long are "
        "deleted (Firestore TTL) and never read back; unset = keep forever.",
    )
    publish_timeout_s: float = Field(
        5.0,
        gt=0,
        description="Bound on one Pub/Sub publish; past it the event waits for the "
        "reconciler instead of holding the request.",
    )
    reconcile_min_age_s: float = Field(
        60.0, ge=0, description="Reconciler leaves younger unpublished items to their request."
    )
    reconcile_batch_size: int = Field(200, gt=0, le=500, description="Items per reconciler batch.")
    reconcile_max_items: int = Field(5_000, gt=0, description="Items per reconciler run.")

    # --- Search, similar conversations, analytics (the search function) ----------------
    search_max_results: int = Field(
        100, gt=0, le=500, description="Deepest result a search pages to (its over-fetch)."
    )
    search_ranking: Literal["dense", "keyword", "hybrid"] = Field(
        "dense",
        description="How search ranks by meaning: dense vectors, keywords, or both fused (RRF); "
        "dense measured best on the project's evaluation set (benchmarks/README.md).",
    )
    search_fallback_sessions: int = Field(
        20, gt=0, le=200, description="Keyword fallback: the caller's most recent sessions read."
    )
    search_fallback_messages: int = Field(
        50, gt=0, le=500, description="Keyword fallback: recent messages read per session."
    )
    degraded_retry_s: float = Field(
        15.0,
        ge=0,
        description="After Vector Search, embeddings or BigQuery failed, how long search, "
        "similar and analytics skip it (fallback or 503) before trying again.",
    )
    status_cache_s: float = Field(
        30.0, ge=0, description="How long GET /v1/status reuses its dependency checks."
    )
    analytics_max_days: int = Field(
        400, gt=0, description="Longest time range one analytics request may cover."
    )

    cors_origins: str | None = Field(
        None,
        description="Comma-separated origins whose pages may call the API from a browser "
        "(the web console's, e.g. https://hs-prod-console.web.app); unset = none.",
    )

    log_level: str = Field("INFO", description="Python log level.")

    @property
    def on_cloud(self) -> bool:
        """True on Cloud Run functions. `FUNCTION_TARGET` cannot tell: functions-framework sets
        it locally too."""
        return bool(self.k_service)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings built once per process; tests call `get_settings.cache_clear()`."""
    return Settings()
