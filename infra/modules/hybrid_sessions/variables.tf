variable "project_id" {
  description = "Project to deploy into (never hard-coded: given per environment)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a valid project id (6-30 lowercase letters, digits, hyphens)."
  }
}

variable "env" {
  description = "Environment name; names become hs-<env>-<name> (HS_ENV)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{1,9}$", var.env))
    error_message = "env must be 2-10 lowercase letters or digits, starting with a letter."
  }
}

variable "region" {
  description = "Region of the functions, Pub/Sub trigger and scheduler (HS_REGION)."
  type        = string
  default     = "us-central1"
}

variable "gateway_region" {
  description = "Region of the API gateway (API Gateway runs in fewer regions than functions)."
  type        = string
  default     = "us-central1"
}

variable "vertex_location" {
  description = "Vertex AI location of models and the vector index (HS_VERTEX_LOCATION)."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Firestore location (region or multi-region such as nam5); cannot change later."
  type        = string
  default     = "nam5"
}

variable "firestore_database" {
  description = "Firestore database id (HS_FIRESTORE_DATABASE): \"(default)\" in a project of this environment's own; a named one (e.g. hs-dev) when two environments share a project."
  type        = string
  default     = "(default)"
}

variable "vector_backend" {
  description = "Where message vectors live (HS_VECTOR_BACKEND, the same values): firestore (vector index in the environment's database, nothing idle to pay), vertex (Vertex AI Vector Search, replicas billed 24/7) or chroma (a Chroma server of your own: give search and ingest HS_CHROMA_URL through extra_env)."
  type        = string
  default     = "firestore"

  validation {
    condition     = contains(["firestore", "vertex", "chroma"], var.vector_backend)
    error_message = "vector_backend must be firestore, vertex or chroma (the values HS_VECTOR_BACKEND accepts)."
  }
}

variable "deployer" {
  description = "IAM member that applies this stack (the pipeline's serviceAccount:...); it gets serviceAccountUser on the product's accounts only. null when an Owner applies."
  type        = string
  default     = null
}

variable "bigquery_location" {
  description = "BigQuery dataset location (HS_BIGQUERY_LOCATION)."
  type        = string
  default     = "US"
}

variable "functions" {
  description = "Functions to deploy (folder names under functions/)."
  type        = list(string)
  default     = ["chat", "sessions", "search", "ingest", "reconciler"]

  validation {
    condition     = alltrue([for f in var.functions : contains(["chat", "sessions", "search", "ingest", "reconciler"], f)])
    error_message = "functions may contain only chat, sessions, search, ingest and reconciler."
  }
}

variable "function_overrides" {
  description = "Per-function runtime settings that replace the defaults in main.tf (memory, cpu, timeout_seconds, min/max_instances, concurrency)."
  type = map(object({
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    min_instances   = optional(number)
    max_instances   = optional(number)
    concurrency     = optional(number)
  }))
  default = {}
}

variable "extra_env" {
  description = "More settings per function, e.g. {chat = {HS_SYSTEM_PROMPT = \"...\"}}; each name must be a shared/config.py setting (tests/infra checks the tfvars)."
  type        = map(map(string))
  default     = {}

  validation {
    condition = alltrue([
      for fn, vars in var.extra_env : contains(["chat", "sessions", "search", "ingest", "reconciler"], fn) && alltrue([for name in keys(vars) : can(regex("^HS_[A-Z0-9_]+$", name))])
    ])
    error_message = "extra_env is keyed by function name and holds HS_* settings only."
  }
}

variable "source_dir" {
  description = "Directory of the function archives built by `make package` (<name>.zip)."
  type        = string
}

variable "ingest_delivery" {
  description = "How events reach ingest: pubsub_push (own push subscription with backoff and a dead-letter topic after max_delivery_attempts, the default) or eventarc (Eventarc Pub/Sub trigger retried for 24 h, then dropped: Terraform cannot give its subscription a dead-letter topic)."
  type        = string
  default     = "pubsub_push"

  validation {
    condition     = contains(["pubsub_push", "eventarc"], var.ingest_delivery)
    error_message = "ingest_delivery must be pubsub_push or eventarc."
  }
}

variable "llm_provider" {
  description = "LLM backend of the chat function (HS_LLM_PROVIDER): vertex or openai."
  type        = string
  default     = "vertex"

  validation {
    condition     = contains(["vertex", "openai"], var.llm_provider)
    error_message = "llm_provider must be vertex or openai."
  }
}

variable "llm_model" {
  description = "Model of chat replies (HS_LLM_MODEL)."
  type        = string
  default     = "gemini-3.5-flash"
}

variable "llm_timeout_s" {
  description = "Timeout of one LLM call in seconds (HS_LLM_TIMEOUT_S)."
  type        = number
  default     = 60
}

variable "openai_base_url" {
  description = "OpenAI-compatible base URL when llm_provider is openai (HS_OPENAI_BASE_URL); its key comes from secrets."
  type        = string
  default     = null
}

variable "embedding_model" {
  description = "Embedding model (HS_EMBEDDING_MODEL)."
  type        = string
  default     = "text-embedding-005"
}

variable "embedding_dimensions" {
  description = "Vector size of the embedding model and the index (HS_EMBEDDING_DIMENSIONS)."
  type        = number
  default     = 768
}

variable "distance_measure_type" {
  description = "Vector Search distance measure."
  type        = string
  default     = "DOT_PRODUCT_DISTANCE"
}

variable "vector_shard_size" {
  description = "Vector Search shard size (ForceNew)."
  type        = string
  default     = "SHARD_SIZE_SMALL"
}

variable "vector_machine_type" {
  description = "Machine type of the deployed index replicas."
  type        = string
  default     = "e2-standard-2"
}

variable "vector_min_replicas" {
  description = "Deployed index replicas always running (billed 24/7); 2 for an SLA."
  type        = number
  default     = 1
}

variable "vector_max_replicas" {
  description = "Upper bound of deployed index autoscaling."
  type        = number
  default     = 2
}

variable "secrets" {
  description = "Secret Manager secrets (created out of band, never in state) exposed as env vars, keyed by env var name, e.g. {HS_OPENAI_API_KEY = {secret = \"hs-dev-openai-api-key\", functions = [\"chat\"]}}."
  type = map(object({
    secret    = string
    version   = optional(string, "latest")
    functions = list(string)
  }))
  default = {}
}

variable "api_key_pepper_secret" {
  description = "Secret Manager secret id holding the API key pepper (HS_API_KEY_PEPPER) for chat, sessions and search; null = keys hashed without a pepper."
  type        = string
  default     = null
}

variable "page_token_key_secret" {
  description = "Secret Manager secret id holding the key that signs page tokens (HS_PAGE_TOKEN_KEY) for sessions and search; null = a key derived from the project id."
  type        = string
  default     = null
}

variable "firebase_project" {
  description = "Project whose Firebase/Identity Platform ID tokens are accepted (HS_FIREBASE_PROJECT); null = project_id."
  type        = string
  default     = null
}

variable "message_retention_duration" {
  description = "Retention of the messages topic for replay."
  type        = string
  default     = "604800s"
}

variable "max_delivery_attempts" {
  description = "With pubsub_push: deliveries before an event is dead-lettered. 20 covers about 2.5 h of backoff, longer than BigQuery's ~30 min streaming buffer that delays erasure deletes."
  type        = number
  default     = 20
}

variable "partition_expiration_days" {
  description = "Days BigQuery keeps each day partition of the raw tables; null = forever. With session_retention_days set, at most that + 1."
  type        = number
  default     = null
}

variable "require_partition_filter" {
  description = "Reject queries on raw tables without a partition filter."
  type        = bool
  default     = false
}

variable "session_retention_days" {
  description = "Messages older than this many days and sessions inactive this long are deleted: Firestore TTL on sessions.expires_at and messages.expires_at (written by the functions, which get HS_SESSION_RETENTION_DAYS), BigQuery partitions kept this + 1 days; null = keep."
  type        = number
  default     = null

  validation {
    condition     = var.session_retention_days == null || try(var.session_retention_days >= 1 && floor(var.session_retention_days) == var.session_retention_days, false)
    error_message = "session_retention_days must be null or a whole number of days, at least 1."
  }
}

variable "point_in_time_recovery" {
  description = "Firestore 7-day point-in-time recovery."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Protect the Firestore database, BigQuery tables and dataset contents from deletion."
  type        = bool
  default     = true
}

variable "reconcile_schedule" {
  description = "Cron schedule (UTC) of the reconciler."
  type        = string
  default     = "*/5 * * * *"
}

variable "log_level" {
  description = "Python log level of the functions (HS_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level must be DEBUG, INFO, WARNING or ERROR."
  }
}

variable "labels" {
  description = "Extra labels on every labelled resource (app and env are always set)."
  type        = map(string)
  default     = {}
}
