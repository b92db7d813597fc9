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
