# The knobs an environment sets in terraform.tfvars; defaults and validation live in
# infra/modules/hybrid_sessions/variables.tf, which documents each one.

variable "project_id" {
  description = "Project to deploy into; passed at plan time (-var=project_id=...), never committed."
  type        = string
}

variable "region" {
  description = "Region of functions, Pub/Sub trigger and scheduler."
  type        = string
  default     = "us-central1"
}

variable "gateway_region" {
  description = "Region of the API gateway."
  type        = string
  default     = "us-central1"
}

variable "vertex_location" {
  description = "Vertex AI location of models and the vector index."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Firestore location; immutable."
  type        = string
  default     = "nam5"
}

variable "bigquery_location" {
  description = "BigQuery dataset location."
  type        = string
  default     = "US"
}

variable "function_overrides" {
  description = "Per-function runtime settings (memory, cpu, timeout_seconds, min/max_instances, concurrency)."
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
  description = "More HS_* settings per function: {function = {HS_NAME = value}}."
  type        = map(map(string))
  default     = {}
}

variable "ingest_delivery" {
  description = "eventarc (Eventarc trigger, retried 24 h) or pubsub_push (push subscription with dead-lettering)."
  type        = string
  default     = "eventarc"
}

variable "llm_provider" {
  description = "vertex or openai."
  type        = string
  default     = "vertex"
}

variable "llm_model" {
  description = "Model of chat replies."
  type        = string
  default     = "gemini-3.5-flash"
}

variable "openai_base_url" {
  description = "OpenAI-compatible base URL when llm_provider is openai."
  type        = string
  default     = null
}

variable "embedding_model" {
  description = "Embedding model."
  type        = string
  default     = "text-embedding-005"
}

variable "embedding_dimensions" {
  description = "Vector size of the embedding model."
  type        = number
  default     = 768
}

variable "vector_min_replicas" {
  description = "Deployed index replicas always running (billed 24/7)."
  type        = number
  default     = 1
}

variable "vector_max_replicas" {
  description = "Upper bound of deployed index autoscaling."
  type        = number
  default     = 2
}

variable "secrets" {
  description = "Secret Manager secrets exposed as env vars: {ENV_NAME = {secret, version, functions}}."
  type = map(object({
    secret    = string
    version   = optional(string, "latest")
    functions = list(string)
  }))
  default = {}
}

variable "api_key_pepper_secret" {
  description = "Secret id of the API key pepper (HS_API_KEY_PEPPER); null = no pepper."
  type        = string
  default     = null
}

variable "page_token_key_secret" {
  description = "Secret id of the page token key (HS_PAGE_TOKEN_KEY); null = derived from the project id."
  type        = string
  default     = null
}

variable "firebase_project" {
  description = "Project whose Firebase ID tokens are accepted; null = project_id."
  type        = string
  default     = null
}

variable "partition_expiration_days" {
  description = "Days BigQuery keeps each partition; null = forever."
  type        = number
  default     = null
}

variable "session_retention_days" {
  description = "Days messages and idle sessions are kept (Firestore TTL, BigQuery partitions, read filters); null = keep."
  type        = number
  default     = null
}

variable "deletion_protection" {
  description = "Protect stored data from deletion."
  type        = bool
  default     = true
}

variable "log_level" {
  description = "Python log level of the functions."
  type        = string
  default     = "INFO"
}
