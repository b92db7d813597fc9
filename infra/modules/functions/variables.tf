variable "project_id" {
  description = "Project of the functions and the source bucket."
  type        = string
}

variable "region" {
  description = "Region of the functions and the source bucket (HS_REGION)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of cloud names; function <name> is deployed as <prefix>-<name>."
  type        = string
}

variable "source_dir" {
  description = "Directory holding <name>.zip per function, built by `python infra/package.py`."
  type        = string
}

variable "source_bucket" {
  description = "Existing bucket for the archives (another call of this module made it); null creates one."
  type        = string
  default     = null
}

variable "archive_retention_days" {
  description = "Days a superseded source archive is kept (as a noncurrent version) before it is deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.archive_retention_days >= 1
    error_message = "archive_retention_days must be at least 1."
  }
}

variable "runtime" {
  description = "Cloud Run functions runtime."
  type        = string
  default     = "python312"
}

variable "build_service_account" {
  description = "Resource name of the service account that builds the functions (projects/../serviceAccounts/..)."
  type        = string
}

variable "functions" {
  description = "Functions keyed by folder name (= entry point); runtime settings, identity, env and secrets."
  type = map(object({
    description           = optional(string, "")
    trigger               = optional(string, "http")
    memory                = optional(string, "512M")
    cpu                   = optional(string, null)
    timeout_seconds       = optional(number, 60)
    min_instances         = optional(number, 0)
    max_instances         = optional(number, 10)
    concurrency           = optional(number, 1)
    ingress               = optional(string, "ALLOW_ALL")
    service_account_email = string
    env                   = optional(map(string), {})
    secrets = optional(map(object({
      secret  = string
      version = optional(string, "latest")
    })), {})
  }))

  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["http", "eventarc_pubsub"], f.trigger)])
    error_message = "trigger must be http or eventarc_pubsub."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : contains(["ALLOW_ALL", "ALLOW_INTERNAL_ONLY", "ALLOW_INTERNAL_AND_GCLB"], f.ingress)])
    error_message = "ingress must be ALLOW_ALL, ALLOW_INTERNAL_ONLY or ALLOW_INTERNAL_AND_GCLB."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.timeout_seconds >= 1 && f.timeout_seconds <= (f.trigger == "http" ? 3600 : 540)])
    error_message = "timeout_seconds must be 1-3600 for HTTP functions and 1-540 for event functions."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.min_instances >= 0 && f.max_instances >= f.min_instances && f.max_instances >= 1])
    error_message = "Instance counts must satisfy 0 <= min_instances <= max_instances and max_instances >= 1."
  }

  validation {
    condition     = alltrue([for f in values(var.functions) : f.concurrency >= 1 && f.concurrency <= 1000])
    error_message = "concurrency must be between 1 and 1000 (more than 1 needs at least 1 vCPU)."
  }
}

variable "pubsub_topic_id" {
  description = "Full id of the topic an eventarc_pubsub function is triggered by."
  type        = string
  default     = null
}

variable "event_trigger_service_account" {
  description = "Email of the identity Eventarc uses to invoke eventarc_pubsub functions (needs run.invoker, given via invokers)."
  type        = string
  default     = null
}

variable "invokers" {
  description = "Members allowed to invoke each function (roles/run.invoker): {function = {caller name = member}}. Never allUsers."
  type        = map(map(string))
  default     = {}

  validation {
    condition     = alltrue([for callers in values(var.invokers) : alltrue([for m in values(callers) : !contains(["allUsers", "allAuthenticatedUsers"], m)])])
    error_message = "Functions are never public: invoke them through the API gateway."
  }
}

variable "labels" {
  description = "Labels on the functions and the bucket."
  type        = map(string)
  default     = {}
}
