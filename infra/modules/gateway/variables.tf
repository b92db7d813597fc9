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
  description = "Path of the OpenAPI 3 description: operations carry x-hs-function and x-google-backend, backend addresses are <name>_url placeholders."
  type        = string
}

variable "backend_urls" {
  description = "URL of each function an operation may name with x-hs-function; fills the file's <name>_url placeholders."
  type        = map(string)

  validation {
    condition     = alltrue([for name, url in var.backend_urls : can(regex("^[a-z0-9]+$", name))])
    error_message = "backend_urls keys must be lowercase letters and digits (function folder names)."
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
