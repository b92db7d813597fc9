variable "project_id" {
  description = "Project of the Firebase web app and the Hosting site (Firebase enabled on it)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of names, hs-<env>; the site is <prefix>-console (https://<prefix>-console.web.app)."
  type        = string
}

variable "api_url" {
  description = "Origin of the public API the console calls: https:// + the API Gateway's default hostname."
  type        = string

  validation {
    condition     = can(regex("^https://[^/]+$", var.api_url))
    error_message = "api_url is an origin: https://host, no path, no trailing slash."
  }
}

variable "identity_platform_tenant" {
  description = "Identity Platform tenant people sign in to (multi-tenancy); null = the project's users."
  type        = string
  default     = null
}
