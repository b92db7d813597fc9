variable "project_id" {
  description = "Project of the API, config and gateway."
  type        = string
}

variable "region" {
  description = "Region of the gateway (API Gateway is offered in a subset of regions)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of the API, config and gateway ids, e.g. hs-dev."
  type        = string
}

variable "openapi_file" {
  description = "Path of the OpenAPI description; every operation carries x-hs-function: <function>."
  type        = string
}

variable "backends" {
  description = "Function URL and backend deadline per function name referenced by x-hs-function."
  type = map(object({
    url              = string
    deadline_seconds = optional(number, 30)
  }))

  validation {
    condition     = alltrue([for b in values(var.backends) : b.deadline_seconds > 0 && b.deadline_seconds <= 3600])
    error_message = "deadline_seconds must be between 1 and 3600."
  }
}

variable "gateway_service_account" {
  description = "Email of the account whose OIDC tokens the gateway sends to the functions (run.invoker on each)."
  type        = string
}

variable "labels" {
  description = "Labels on the API resources."
  type        = map(string)
  default     = {}
}
