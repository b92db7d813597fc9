# Names, per-function environment variable lists and runtime settings. Only variables are read
# here, so tests/infra evaluates these locals with Terraform itself, offline, and compares them
# with shared/config.py and the function folders.

locals {
  prefix = "hs-${var.env}"

  # Keyed by the Settings field that reads each name (shared/config.py).
  names = {
    messages_topic           = "${local.prefix}-messages"
    dead_letter_topic        = "${local.prefix}-messages-dead-letter"
    dead_letter_subscription = "${local.prefix}-messages-dead-letter"
    ingest_subscription      = "${local.prefix}-ingest"
    bigquery_dataset         = "hs_${var.env}"
    vector_deployed_index_id = "hs_${var.env}_messages"
  }

  labels = merge(var.labels, { app = "hybrid-sessions", env = var.env })

  # Vertex AI Vector Search exists only for the vertex backend; firestore keeps vectors in the
  # environment's database (vector indexes of infra/firestore.indexes.json).
  vertex = var.vector_backend == "vertex"

  # Functions that read or write vectors; the others never wait for the vector resources.
  vector_functions = ["search", "ingest"]

  # What each function reads; a function gets nothing it does not use.
  function_env_names = {
    chat = [
      "GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_REGION", "HS_LOG_LEVEL", "HS_AUTH_MODE", "HS_FIREBASE_PROJECT",
      "HS_FIRESTORE_DATABASE", "HS_MESSAGES_TOPIC", "HS_VERTEX_LOCATION", "HS_LLM_PROVIDER", "HS_LLM_MODEL",
      "HS_LLM_TIMEOUT_S",
    ]
    sessions = [
      "GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_REGION", "HS_LOG_LEVEL", "HS_AUTH_MODE", "HS_FIREBASE_PROJECT",
      "HS_FIRESTORE_DATABASE", "HS_MESSAGES_TOPIC",
    ]
    search = concat([
      "GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_REGION", "HS_LOG_LEVEL", "HS_AUTH_MODE", "HS_FIREBASE_PROJECT",
      "HS_FIRESTORE_DATABASE", "HS_BIGQUERY_DATASET", "HS_BIGQUERY_LOCATION", "HS_VERTEX_LOCATION",
      "HS_EMBEDDING_MODEL", "HS_EMBEDDING_DIMENSIONS", "HS_VECTOR_BACKEND",
    ], local.vertex ? ["HS_VECTOR_INDEX_ENDPOINT", "HS_VECTOR_DEPLOYED_INDEX_ID", "HS_VECTOR_PUBLIC_ENDPOINT"] : [])
    # With the firestore backend ingest writes each message's vector into Firestore.
    ingest = concat([
      "GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_REGION", "HS_LOG_LEVEL", "HS_BIGQUERY_DATASET",
      "HS_BIGQUERY_LOCATION", "HS_VERTEX_LOCATION", "HS_EMBEDDING_MODEL", "HS_EMBEDDING_DIMENSIONS",
      "HS_VECTOR_BACKEND", "HS_FIRESTORE_DATABASE",
    ], local.vertex ? ["HS_VECTOR_INDEX"] : [])
    reconciler = [
      "GOOGLE_CLOUD_PROJECT", "HS_ENV", "HS_REGION", "HS_LOG_LEVEL", "HS_FIRESTORE_DATABASE",
      "HS_MESSAGES_TOPIC",
    ]
  }

  # Runtime settings per function; var.function_overrides changes any of them per environment.
  function_defaults = {
    chat = {
      description     = "POST /v1/chat: a turn with the LLM, stored and published."
      trigger         = "http"
      ingress         = "ALLOW_ALL"
      memory          = "512M"
      cpu             = "1"
      timeout_seconds = 300
      concurrency     = 8
    }
    sessions = {
      description     = "Session and message lookup and management."
      trigger         = "http"
      ingress         = "ALLOW_ALL"
      memory          = "512M"
      cpu             = "1"
      timeout_seconds = 60
      concurrency     = 16
    }
    search = {
      description     = "Semantic search, similar conversations, analytics."
      trigger         = "http"
      ingress         = "ALLOW_ALL"
      memory          = "1Gi"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 8
    }
    # Not behind the gateway: Pub/Sub (push or Eventarc) is its only caller, an internal one.
    ingest = {
      description     = "Message events into BigQuery and Vector Search (Pub/Sub, retried)."
      trigger         = var.ingest_delivery == "eventarc" ? "eventarc_pubsub" : "http"
      ingress         = "ALLOW_INTERNAL_ONLY"
      memory          = "512M"
      cpu             = "1"
      timeout_seconds = 120
      concurrency     = 4
    }
    # Not behind the gateway: Cloud Scheduler is its only caller, an internal one.
    reconciler = {
      description     = "Republishes messages stored while Pub/Sub was unavailable (Cloud Scheduler)."
      trigger         = "http"
      ingress         = "ALLOW_INTERNAL_ONLY"
      memory          = "512M"
      cpu             = "1"
      timeout_seconds = 300
      concurrency     = 1
    }
  }

  functions = {
    for fn in var.functions : fn => merge(
      local.function_defaults[fn],
      { min_instances = 0, max_instances = 10 },
      # Attributes an override leaves out arrive as null and must not erase the defaults.
      { for k, v in try(var.function_overrides[fn], {}) : k => v if v != null },
    )
  }

  # The HTTP functions behind the gateway; ingest and reconciler are never exposed there.
  public_functions = [for fn in var.functions : fn if contains(["chat", "sessions", "search"], fn)]

  # HS_API_KEY_PEPPER: the secret mixed into API key hashes, read by every function that
  # authenticates callers. Secrets only ever come from Secret Manager, never from state.
  # HS_PAGE_TOKEN_KEY: signs the page tokens the sessions and search functions issue.
  builtin_secrets = merge(
    var.api_key_pepper_secret == null ? {} : {
      HS_API_KEY_PEPPER = { secret = var.api_key_pepper_secret, version = "latest", functions = ["chat", "sessions", "search"] }
    },
    var.page_token_key_secret == null ? {} : {
      HS_PAGE_TOKEN_KEY = { secret = var.page_token_key_secret, version = "latest", functions = ["sessions", "search"] }
    },
  )
  secrets = merge(local.builtin_secrets, var.secrets)

  ttl_fields = var.session_retention_days == null ? [] : [
    { collection = "sessions", field = "expires_at" },
    { collection = "messages", field = "expires_at" },
    { collection = "recent", field = "expires_at" }, # each session's recent window (a cache)
  ]

  # The functions that write expires_at (chat, sessions), must not read expired data (search) or
  # delete idle sessions so that ingest removes their copies (reconciler) get the same retention;
  # unset, nothing expires.
  retention_functions = ["chat", "sessions", "search", "reconciler"]
  retention_env       = var.session_retention_days == null ? {} : { HS_SESSION_RETENTION_DAYS = tostring(var.session_retention_days) }

  # The analytics copy follows the retention: raw tables are partitioned by day of created_at /
  # occurred_at / erased_at, so a partition kept retention + 1 days outlives none of its rows'
  # retention by more than a day and cuts none short. A shorter partition expiration of its own
  # still wins.
  partition_expiration_days = (
    var.session_retention_days == null ? var.partition_expiration_days :
    min(coalesce(var.partition_expiration_days, var.session_retention_days + 1), var.session_retention_days + 1)
  )
}
