variable "project_id" {
  description = "Project of the service accounts and grants."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of account ids and custom role ids, e.g. hs-dev."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,16}$", var.name_prefix))
    error_message = "name_prefix must be 2-17 lowercase letters, digits or hyphens, starting with a letter (account ids are at most 30 characters)."
  }
}

variable "functions" {
  description = "Functions deployed in this environment (folder names under functions/)."
  type        = list(string)

  validation {
    condition     = alltrue([for f in var.functions : contains(["chat", "sessions", "search", "ingest", "reconciler"], f)])
    error_message = "functions may contain only chat, sessions, search, ingest and reconciler; add a new function's roles to this module first."
  }
}

variable "messages_topic" {
  description = "Name of the messages topic the publishers may publish to."
  type        = string
}

variable "dataset_id" {
  description = "Analytics dataset the search (read) and ingest (write) functions use."
  type        = string
}

variable "secrets" {
  description = "Secret Manager secrets exposed as env vars, keyed by env var name: {secret = secret id, functions = [names]}."
  type = map(object({
    secret    = string
    version   = optional(string, "latest")
    functions = list(string)
  }))
  default = {}
}

variable "firestore_database" {
  description = "Firestore database the functions' Firestore roles are limited to (IAM condition)."
  type        = string
}

variable "vector_backend" {
  description = "firestore, vertex or chroma: decides ingest's Firestore role and the Vertex AI custom roles."
  type        = string
}

variable "deployer" {
  description = "IAM member that deploys the stack (serviceAccount:...); gets serviceAccountUser on the product's accounts only. null = none (an Owner)."
  type        = string
  default     = null
}

variable "propagation_wait" {
  description = "Wait after the grants before anything runs as these accounts (IAM propagation)."
  type        = string
  default     = "60s"
}
