# One environment = one call of the composition module. Environment folders differ only in the
# env name below, backend.tf's prefix and terraform.tfvars.

locals {
  env = "prod"
}

# The whole system for this environment.
module "hybrid_sessions" {
  source = "../../modules/hybrid_sessions"

  project_id = var.project_id
  env        = local.env
  # Archives built by `make package` from the repository root.
  source_dir = "${path.root}/../../../build/functions"

  region                    = var.region
  gateway_region            = var.gateway_region
  vertex_location           = var.vertex_location
  firestore_location        = var.firestore_location
  bigquery_location         = var.bigquery_location
  function_overrides        = var.function_overrides
  ingest_delivery           = var.ingest_delivery
  extra_env                 = var.extra_env
  llm_provider              = var.llm_provider
  llm_model                 = var.llm_model
  openai_base_url           = var.openai_base_url
  embedding_model           = var.embedding_model
  embedding_dimensions      = var.embedding_dimensions
  vector_min_replicas       = var.vector_min_replicas
  vector_max_replicas       = var.vector_max_replicas
  secrets                   = var.secrets
  api_key_pepper_secret     = var.api_key_pepper_secret
  page_token_key_secret     = var.page_token_key_secret
  firebase_project          = var.firebase_project
  partition_expiration_days = var.partition_expiration_days
  session_retention_days    = var.session_retention_days
  deletion_protection       = var.deletion_protection
  log_level                 = var.log_level
}
