# The environment root, one file for every environment: each envs/<env>/root.tf is a link to
# this file, so environments cannot drift apart. What differs lives beside the link: main.tf
# (the state prefix, which Terraform cannot take from a variable) and terraform.tfvars (the
# environment's name and the values that must differ). The project, and the database when two
# environments share one, come per Cloud Build trigger (-var), never from the repository.
# Provider versions: versions.tf, a link to infra/versions.tf like the bootstrap's.

variable "project_id" {
  description = "Project of this environment (the trigger's _PROJECT_ID); passed at plan time, never committed."
  type        = string
}

variable "firestore_database" {
  description = "Firestore database of this environment (the trigger's _FIRESTORE_DATABASE): (default) in a project of its own."
  type        = string
  default     = "(default)"
}

variable "deployer" {
  description = "IAM member applying the stack (the pipeline passes serviceAccount:<its account>); null when an Owner applies."
  type        = string
  default     = null
}

variable "region" {
  description = "Region of the functions, Pub/Sub trigger, scheduler and the providers' default."
  type        = string
  default     = "us-central1"
}

# The values that differ between environments, set in each terraform.tfvars; the module
# documents and validates them (infra/modules/hybrid_sessions/README.md).
variable "env" {
  description = "Environment name (HS_ENV); equal to the folder name."
  type        = string
}

variable "settings" {
  description = "Inputs of the hybrid_sessions module that this environment sets, by input name."
  type        = any
}

locals {
  # Created by hand before the first apply (infra/README.md, first deployment, step 4).
  api_key_pepper_secret = "hs-${var.env}-api-key-pepper"
  page_token_key_secret = "hs-${var.env}-page-token-key"
}

# The whole system for this environment.
module "hybrid_sessions" {
  source = "../../modules/hybrid_sessions"

  project_id         = var.project_id
  env                = var.env
  firestore_database = var.firestore_database
  deployer           = var.deployer
  region             = var.region
  # Archives built by `make package` from the repository root.
  source_dir = "${path.root}/../../../build/functions"

  # Where vectors live and, for vertex, how many replicas serve them.
  vector_backend      = var.settings.vector_backend
  vector_min_replicas = var.settings.vector_min_replicas
  vector_max_replicas = var.settings.vector_max_replicas

  # How long data is kept, and whether Terraform may delete it.
  deletion_protection       = var.settings.deletion_protection
  partition_expiration_days = var.settings.partition_expiration_days
  session_retention_days    = var.settings.session_retention_days

  # Runtime: logs, instances and extra settings per function; the secrets' names.
  log_level             = var.settings.log_level
  function_overrides    = var.settings.function_overrides
  extra_env             = var.settings.extra_env
  api_key_pepper_secret = local.api_key_pepper_secret
  page_token_key_secret = local.page_token_key_secret
}

output "api_url" {
  description = "Public base URL of the API (what the smoke suite calls)."
  value       = module.hybrid_sessions.api_url
}

output "env_vars" {
  description = "Settings in env-var form for apps and scripts (terraform output -json env_vars)."
  value       = module.hybrid_sessions.env_vars
}

output "api_key_pepper_secret" {
  description = "Secret Manager secret holding HS_API_KEY_PEPPER (the smoke run reads it to mint its keys)."
  value       = local.api_key_pepper_secret
}
