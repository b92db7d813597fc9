variable "project_id" {
  description = "Project of the job."
  type        = string
}

variable "region" {
  description = "Region of the job (Cloud Scheduler location)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the job name, e.g. hs-dev."
  type        = string
}

variable "schedule" {
  description = "Cron schedule (UTC) of reconciler runs."
  type        = string
  default     = "*/5 * * * *"

  validation {
    condition     = length(split(" ", trimspace(var.schedule))) == 5
    error_message = "schedule must be a five-field cron expression."
  }
}

variable "attempt_deadline_seconds" {
  description = "How long one reconciler call may take before Scheduler counts it as failed (15-1800)."
  type        = number
  default     = 300

  validation {
    condition     = var.attempt_deadline_seconds >= 15 && var.attempt_deadline_seconds <= 1800
    error_message = "attempt_deadline_seconds must be between 15 and 1800."
  }
}

variable "reconciler_url" {
  description = "HTTPS URL of the reconciler function (also the OIDC audience)."
  type        = string
}

variable "service_account_email" {
  description = "Identity of the job's OIDC token; holds run.invoker on the reconciler only."
  type        = string
}
