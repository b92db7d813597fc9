# The whole system for one environment: the composition root every env folder calls once.
# Resource names follow `hs-<env>-<name>` (`hs_<env>` where only underscores are allowed), the
# same pattern as the local defaults in shared/config.py (hs-local-messages, hs_local, ...);
# tests/infra checks the two agree.

# Locals that need other modules' outputs; tests/infra evaluates this block with those outputs
# stubbed.
locals {
  # Every environment variable Terraform sets; each is a field of shared/config.py Settings.
  # Vector Search's are apart: only the functions that use them wait for the index.
  core_env_values = {
    GOOGLE_CLOUD_PROJECT    = var.project_id
    HS_ENV                  = var.env
    HS_REGION               = var.region
    HS_LOG_LEVEL            = var.log_level
    HS_AUTH_MODE            = "firebase"
    HS_FIREBASE_PROJECT     = coalesce(var.firebase_project, var.project_id)
    HS_FIRESTORE_DATABASE   = module.firestore.database_id
    HS_MESSAGES_TOPIC       = module.pubsub.messages_topic
    HS_BIGQUERY_DATASET     = module.bigquery.dataset_id
    HS_BIGQUERY_LOCATION    = module.bigquery.location
    HS_VERTEX_LOCATION      = var.vertex_location
    HS_LLM_PROVIDER         = var.llm_provider
    HS_LLM_MODEL            = var.llm_model
    HS_LLM_TIMEOUT_S        = tostring(var.llm_timeout_s)
    HS_EMBEDDING_MODEL      = var.embedding_model
    HS_EMBEDDING_DIMENSIONS = tostring(var.embedding_dimensions)
    HS_VECTOR_BACKEND       = var.vector_backend
  }
  vector_env_values = {
    HS_VECTOR_INDEX             = module.vector_search.index_id
    HS_VECTOR_INDEX_ENDPOINT    = module.vector_search.index_endpoint_id
    HS_VECTOR_DEPLOYED_INDEX_ID = module.vector_search.deployed_index_id
    HS_VECTOR_PUBLIC_ENDPOINT   = module.vector_search.public_endpoint_domain
  }
  # Null values belong to resources the backend does not create.
  env_values = { for k, v in merge(local.core_env_values, local.vector_env_values) : k => v if v != null }

  # Set only when configured (an OpenAI-compatible endpoint instead of Vertex AI).
  optional_env_values = var.openai_base_url == null ? {} : { HS_OPENAI_BASE_URL = var.openai_base_url }

  # What the functions module deploys: settings, identity, environment and secrets per function,
  # without the environment variables that come from Vector Search.
  function_settings = {
    for fn, s in local.functions : fn => {
      description           = s.description
      trigger               = s.trigger
      memory                = s.memory
      cpu                   = s.cpu
      timeout_seconds       = s.timeout_seconds
      min_instances         = s.min_instances
      max_instances         = s.max_instances
      concurrency           = s.concurrency
      ingress               = s.ingress
      service_account_email = module.iam.function_service_accounts[fn]
      env = merge(
        { for name in local.function_env_names[fn] : name => local.core_env_values[name] if contains(keys(local.core_env_values), name) },
        fn == "chat" ? local.optional_env_values : {},
        contains(local.retention_functions, fn) ? local.retention_env : {},
        lookup(var.extra_env, fn, {}),
      )
      secrets = {
        for env_name, sec in local.secrets : env_name => { secret = sec.secret, version = sec.version }
        if contains(sec.functions, fn)
      }
    }
  }
  core_function_configs = { for fn, c in local.function_settings : fn => c if !contains(local.vector_functions, fn) }
  vector_function_configs = {
    for fn, c in local.function_settings : fn => merge(c, {
      env = merge(c.env, { for name in local.function_env_names[fn] : name => local.vector_env_values[name] if contains(keys(local.vector_env_values), name) })
    }) if contains(local.vector_functions, fn)
  }
  function_configs = merge(local.core_function_configs, local.vector_function_configs)
  function_urls    = merge(module.functions.urls, module.vector_functions.urls)

  # The gateway's backends: the HTTP functions behind it.
  backend_urls = { for fn in local.public_functions : fn => local.function_urls[fn] }

  # Each caller identity may invoke exactly the functions it calls.
  invokers = merge(
    { for fn in local.public_functions : fn => { gateway = "serviceAccount:${module.iam.gateway_service_account}" } },
    contains(var.functions, "ingest") ? { ingest = { push = "serviceAccount:${module.iam.push_service_account}" } } : {},
    contains(var.functions, "reconciler") ? { reconciler = { scheduler = "serviceAccount:${module.iam.scheduler_service_account}" } } : {},
  )
}

# APIs first: everything below depends on them.
module "project_services" {
  source = "../project_services"

  project_id = var.project_id
  services = [
    "aiplatform.googleapis.com",
    "apigateway.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "cloudbuild.googleapis.com",
    "cloudfunctions.googleapis.com",
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "servicecontrol.googleapis.com",
    "servicemanagement.googleapis.com",
    "storage.googleapis.com",
  ]
  # Dead-letter forwarding and the Eventarc trigger need these agents to exist first.
  service_agents = ["pubsub.googleapis.com", "eventarc.googleapis.com"]
}

# Operational store: sessions and messages, with the indexes the queries need.
module "firestore" {
  source = "../firestore"

  project_id             = var.project_id
  location_id            = var.firestore_location
  database_id            = var.firestore_database
  indexes_file           = "${path.module}/../../firestore.indexes.json"
  vector_indexes         = var.vector_backend == "firestore"
  ttl_fields             = local.ttl_fields
  point_in_time_recovery = var.point_in_time_recovery
  deletion_protection    = var.deletion_protection

  depends_on = [module.project_services]
}

# Events of every stored message and session change, and where undeliverable ones go.
module "pubsub" {
  source = "../pubsub"

  project_id                 = var.project_id
  pubsub_agent               = module.project_services.pubsub_agent
  messages_topic             = local.names.messages_topic
  dead_letter_topic          = local.names.dead_letter_topic
  dead_letter_subscription   = local.names.dead_letter_subscription
  ingest_subscription        = local.names.ingest_subscription
  message_retention_duration = var.message_retention_duration
  max_delivery_attempts      = var.max_delivery_attempts
  create_push_subscription   = var.ingest_delivery == "pubsub_push" && contains(var.functions, "ingest")
  push_endpoint              = try(module.vector_functions.urls["ingest"], null)
  push_service_account_email = module.iam.push_service_account
  ack_deadline_seconds       = min(600, max(10, try(local.functions["ingest"].timeout_seconds, 120)))
  labels                     = local.labels

  depends_on = [module.project_services]
}

# Analytics copy of the events, deduplicated by the views.
module "bigquery" {
  source = "../bigquery"

  project_id                = var.project_id
  dataset_id                = local.names.bigquery_dataset
  location                  = var.bigquery_location
  definitions_dir           = "${path.module}/../../bigquery"
  partition_expiration_days = local.partition_expiration_days
  require_partition_filter  = var.require_partition_filter
  deletion_protection       = var.deletion_protection
  labels                    = local.labels

  depends_on = [module.project_services]
}

# Semantic memory on Vertex AI Vector Search: one vector per message; created only for the
# vertex backend.
module "vector_search" {
  source = "../vector_search"

  enabled               = var.vector_backend == "vertex"
  project_id            = var.project_id
  region                = var.vertex_location
  name_prefix           = local.prefix
  embedding_model       = var.embedding_model
  dimensions            = var.embedding_dimensions
  distance_measure_type = var.distance_measure_type
  deployed_index_id     = local.names.vector_deployed_index_id
  shard_size            = var.vector_shard_size
  machine_type          = var.vector_machine_type
  min_replica_count     = var.vector_min_replicas
  max_replica_count     = var.vector_max_replicas
  labels                = local.labels

  depends_on = [module.project_services]
}

# Runtime identities and least-privilege grants.
module "iam" {
  source = "../iam"

  project_id         = var.project_id
  name_prefix        = local.prefix
  functions          = var.functions
  messages_topic     = module.pubsub.messages_topic
  dataset_id         = module.bigquery.dataset_id
  secrets            = local.secrets
  firestore_database = module.firestore.database_id
  vector_backend     = var.vector_backend
  deployer           = var.deployer

  depends_on = [module.project_services]
}

# The code: the functions that do not touch vectors (chat, sessions, reconciler), with their
# settings, secrets and invokers. They start once their accounts' grants and the service agents
# are in place (depends_on), and never wait for Vector Search.
module "functions" {
  source = "../functions"

  project_id                    = var.project_id
  region                        = var.region
  name_prefix                   = local.prefix
  source_dir                    = var.source_dir
  build_service_account         = module.iam.build_service_account
  pubsub_topic_id               = module.pubsub.messages_topic_id
  event_trigger_service_account = module.iam.push_service_account
  labels                        = local.labels

  functions = local.core_function_configs
  invokers  = { for fn, callers in local.invokers : fn => callers if !contains(local.vector_functions, fn) }

  depends_on = [module.iam, module.project_services]
}

# The functions that read or write vectors (search, ingest), in the same source bucket; with the
# vertex backend they wait for the deployed index their settings name.
module "vector_functions" {
  source = "../functions"

  project_id                    = var.project_id
  region                        = var.region
  name_prefix                   = local.prefix
  source_dir                    = var.source_dir
  source_bucket                 = module.functions.source_bucket
  build_service_account         = module.iam.build_service_account
  pubsub_topic_id               = module.pubsub.messages_topic_id
  event_trigger_service_account = module.iam.push_service_account
  labels                        = local.labels

  functions = local.vector_function_configs
  invokers  = { for fn, callers in local.invokers : fn => callers if contains(local.vector_functions, fn) }

  depends_on = [module.iam, module.project_services]
}

# The only public entry, routing the OpenAPI operations to the HTTP functions.
module "gateway" {
  source = "../gateway"

  project_id              = var.project_id
  region                  = var.gateway_region
  name_prefix             = local.prefix
  openapi_file            = "${path.module}/../../api/openapi.yaml"
  gateway_service_account = module.iam.gateway_service_account
  labels                  = local.labels

  # Backend deadlines are in the OpenAPI file, next to the routes they apply to.
  backend_urls = local.backend_urls
}

# Periodic republishing of events stored while Pub/Sub was down.
module "scheduler" {
  source = "../scheduler"
  count  = contains(var.functions, "reconciler") ? 1 : 0

  project_id     = var.project_id
  region         = var.region
  name_prefix    = local.prefix
  schedule       = var.reconcile_schedule
  reconciler_url = try(module.functions.urls["reconciler"], "")

  depends_on            = [module.iam]
  service_account_email = module.iam.scheduler_service_account
}
