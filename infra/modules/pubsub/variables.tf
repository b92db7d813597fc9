variable "project_id" {
  description = "Project of the topics and subscriptions."
  type        = string
}

variable "pubsub_agent" {
  description = "IAM member of the Pub/Sub service agent, which forwards dead letters (from project_services, once it exists)."
  type        = string
}

variable "messages_topic" {
  description = "Name of the messages topic (HS_MESSAGES_TOPIC)."
  type        = string
}

variable "dead_letter_topic" {
  description = "Name of the dead-letter topic (HS_DEAD_LETTER_TOPIC)."
  type        = string
}

variable "dead_letter_subscription" {
  description = "Name of the pull subscription that keeps dead letters (HS_DEAD_LETTER_SUBSCRIPTION)."
  type        = string
}

variable "ingest_subscription" {
  description = "Name of the push subscription to the ingest function (HS_INGEST_SUBSCRIPTION)."
  type        = string
}

variable "message_retention_duration" {
  description = "How long the topics keep published messages for replay (seek), e.g. \"604800s\"."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.message_retention_duration))
    error_message = "message_retention_duration must be a number of seconds such as \"604800s\"."
  }
}

variable "dead_letter_retention_duration" {
  description = "How long the dead-letter subscription keeps messages (at most 7 days)."
  type        = string
  default     = "604800s"

  validation {
    condition     = can(regex("^[0-9]+s$", var.dead_letter_retention_duration))
    error_message = "dead_letter_retention_duration must be a number of seconds such as \"604800s\"."
  }
}

variable "create_push_subscription" {
  description = "Create the push subscription to the ingest function (false when Eventarc delivers instead)."
  type        = bool
  default     = true
}

variable "push_endpoint" {
  description = "HTTPS URL of the ingest function (required when create_push_subscription is true)."
  type        = string
  default     = null
}

variable "push_service_account_email" {
  description = "Service account whose OIDC token the push requests carry (needs run.invoker on ingest)."
  type        = string
  default     = null
}

variable "ack_deadline_seconds" {
  description = "Time the ingest function has to answer a push before Pub/Sub redelivers."
  type        = number
  default     = 120

  validation {
    condition     = var.ack_deadline_seconds >= 10 && var.ack_deadline_seconds <= 600
    error_message = "ack_deadline_seconds must be between 10 and 600."
  }
}

variable "retry_minimum_backoff" {
  description = "Shortest wait before a failed push is retried."
  type        = string
  default     = "10s"
}

variable "retry_maximum_backoff" {
  description = "Longest wait before a failed push is retried (at most 600s)."
  type        = string
  default     = "600s"
}

variable "max_delivery_attempts" {
  description = "Deliveries before a message is moved to the dead-letter topic."
  type        = number
  default     = 20

  validation {
    condition     = var.max_delivery_attempts >= 5 && var.max_delivery_attempts <= 100
    error_message = "max_delivery_attempts must be between 5 and 100."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key for the topics; null = Google-managed encryption."
  type        = string
  default     = null
}

variable "labels" {
  description = "Labels on every topic and subscription."
  type        = map(string)
  default     = {}
}
