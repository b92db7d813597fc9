variable "project_id" {
  description = "Project whose APIs are enabled."
  type        = string
}

variable "services" {
  description = "API service names to enable, e.g. firestore.googleapis.com."
  type        = list(string)

  validation {
    condition     = alltrue([for s in var.services : can(regex("^[a-z0-9.-]+\\.googleapis\\.com$", s))])
    error_message = "Each service must be an API name ending in .googleapis.com."
  }
}

variable "service_agents" {
  description = "APIs whose service agent must exist before anything is granted to it or needs it, e.g. pubsub.googleapis.com."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.service_agents : can(regex("^[a-z0-9.-]+\\.googleapis\\.com$", s))])
    error_message = "Each service agent is named by its API, ending in .googleapis.com."
  }
}

variable "propagation_wait" {
  description = "Wait after creating the service agents, for their role grants to propagate (Google: up to a few minutes)."
  type        = string
  default     = "90s"
}
