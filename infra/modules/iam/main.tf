# One service account per function with only what that function does, plus the identities of
# the callers: the API gateway, Cloud Scheduler, the Pub/Sub push subscription, and the builds.
#
# What each function may do, and why:
#   chat       Firestore read/write (sessions, messages)          roles/datastore.user
#              publish message events                             publisher on the messages topic
#              call the LLM                                       custom model caller role
#   sessions   Firestore read/write                               roles/datastore.user
#              publish session and appended-message events        publisher on the messages topic
#   search     read message text back from Firestore              roles/datastore.viewer
#              run analytics queries over the views               roles/bigquery.jobUser + dataViewer on the dataset
#              embed the query, query the index endpoint          custom vector reader role
#   ingest     stream rows, DML deletes on erasure                roles/bigquery.jobUser + dataEditor on the dataset
#              embed messages, upsert/remove datapoints           custom vector writer role
#   reconciler find unpublished messages, mark them published     roles/datastore.user
#              republish them                                     publisher on the messages topic
# chat has no BigQuery role at all; ingest has no Firestore role (the backfill command runs with
# an operator's credentials). Vertex AI checks the same permission, aiplatform.endpoints.predict,
# for embeddings and for text generation, so IAM cannot stop a holder of an embedding grant
# from calling a generative model: the residual is documented in infra/README.md.

locals {
  function_roles = {
    chat       = ["roles/datastore.user"]
    sessions   = ["roles/datastore.user"]
    search     = ["roles/datastore.viewer", "roles/bigquery.jobUser"]
    ingest     = ["roles/bigquery.jobUser"]
    reconciler = ["roles/datastore.user"]
  }
  custom_role_of = {
    chat   = "model_caller"
    search = "vector_reader"
    ingest = "vector_writer"
  }
  topic_publishers = ["chat", "sessions", "reconciler"]
  dataset_roles = {
    search = "roles/bigquery.dataViewer"
    ingest = "roles/bigquery.dataEditor"
  }

  # Only the functions this environment deploys.
  project_bindings = merge([
    for fn in var.functions : {
      for role in local.function_roles[fn] : "${fn}|${role}" => { fn = fn, role = role }
    }
  ]...)

  custom_roles = {
    model_caller = {
      title       = "hybrid-sessions model caller"
      description = "Call Vertex AI publisher models (generation and embeddings); nothing else."
      permissions = ["aiplatform.endpoints.predict"]
    }
    vector_reader = {
      title       = "hybrid-sessions vector reader"
      description = "Embed queries and run find_neighbors on the message index endpoint."
      permissions = [
        "aiplatform.endpoints.predict",
        "aiplatform.indexEndpoints.get",
        "aiplatform.indexEndpoints.queryVectors",
        "aiplatform.indexes.get",
      ]
    }
    vector_writer = {
      title       = "hybrid-sessions vector writer"
      description = "Embed messages and upsert or remove datapoints of the message index."
      permissions = [
        "aiplatform.endpoints.predict",
        "aiplatform.indexes.get",
        "aiplatform.indexes.update",
      ]
    }
  }

  secret_bindings = merge([
    for env_name, s in var.secrets : {
      for fn in s.functions : "${env_name}|${fn}" => { secret = s.secret, fn = fn } if contains(var.functions, fn)
    }
  ]...)
}

# Runtime identity of each function.
resource "google_service_account" "function" {
  for_each = toset(var.functions)

  project      = var.project_id
  account_id   = "${var.name_prefix}-${each.key}"
  display_name = "${var.name_prefix} ${each.key} function"
  description  = "Runtime identity of the ${each.key} function; roles in infra/modules/iam/main.tf."
}

# Identity API Gateway calls the HTTP functions with.
resource "google_service_account" "gateway" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-gateway"
  display_name = "${var.name_prefix} API gateway"
  description  = "Signs the OIDC tokens API Gateway sends to the HTTP functions (run.invoker on each)."
}

# Identity Cloud Scheduler calls the reconciler with.
resource "google_service_account" "scheduler" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-scheduler"
  display_name = "${var.name_prefix} scheduler"
  description  = "Identity of the Cloud Scheduler job that calls the reconciler (run.invoker on it only)."
}

# Identity Pub/Sub push or Eventarc delivers events to ingest with.
resource "google_service_account" "push" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-push"
  display_name = "${var.name_prefix} Pub/Sub push"
  description  = "Identity of the Pub/Sub push or Eventarc delivery to ingest (run.invoker on it only)."
}

# Identity the function builds run as.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "${var.name_prefix}-build"
  display_name = "${var.name_prefix} function builds"
  description  = "Builds the functions' containers from their source archives."
}

# Narrow Vertex AI roles instead of roles/aiplatform.user (see the table above).
resource "google_project_iam_custom_role" "this" {
  for_each = local.custom_roles

  project     = var.project_id
  role_id     = "${replace(var.name_prefix, "-", "_")}_${each.key}"
  title       = "${each.value.title} (${var.name_prefix})"
  description = each.value.description
  permissions = each.value.permissions
}

# Predefined project roles per function (table above).
resource "google_project_iam_member" "function" {
  for_each = local.project_bindings

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.fn].member
}

# The custom Vertex AI role of chat, search and ingest.
resource "google_project_iam_member" "function_custom" {
  for_each = { for fn, role in local.custom_role_of : fn => role if contains(var.functions, fn) }

  project = var.project_id
  role    = google_project_iam_custom_role.this[each.value].name
  member  = google_service_account.function[each.key].member
}

# Publishing is granted on the one topic, not the project.
resource "google_pubsub_topic_iam_member" "publisher" {
  for_each = toset([for fn in local.topic_publishers : fn if contains(var.functions, fn)])

  project = var.project_id
  topic   = var.messages_topic
  role    = "roles/pubsub.publisher"
  member  = google_service_account.function[each.key].member
}

# Table data access is granted on the dataset, not the project.
resource "google_bigquery_dataset_iam_member" "function" {
  for_each = { for fn, role in local.dataset_roles : fn => role if contains(var.functions, fn) }

  project    = var.project_id
  dataset_id = var.dataset_id
  role       = each.value
  member     = google_service_account.function[each.key].member
}

# Read access to exactly the secrets each function gets as env vars.
resource "google_secret_manager_secret_iam_member" "function" {
  for_each = local.secret_bindings

  project   = var.project_id
  secret_id = each.value.secret
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.fn].member
}

# Function builds run as this account instead of the default compute account: write build
# logs, push the built image, read the uploaded source.
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectViewer"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}
