# One service account per function with only what that function does, plus the identities of
# the callers: the API gateway, Cloud Scheduler, the Pub/Sub push subscription, and the builds.
#
# What each function may do, and why:
#   chat       Firestore read/write (sessions, messages)          roles/datastore.user on the database
#              publish message events                             publisher on the messages topic
#              call the LLM                                       custom model caller role
#   sessions   Firestore read/write                               roles/datastore.user on the database
#              publish session and appended-message events        publisher on the messages topic
#   search     read message text (and vectors) from Firestore     roles/datastore.viewer on the database
#              run analytics queries over the views               roles/bigquery.jobUser + dataViewer on the dataset
#              embed the query (and, vertex: query the endpoint)  model caller (vertex: custom vector reader role)
#   ingest     stream rows, DML deletes on erasure                roles/bigquery.jobUser + dataEditor on the dataset
#              embed messages (vertex: upsert/remove datapoints)  model caller (vertex: custom vector writer role)
#              firestore backend: write the messages' vectors     roles/datastore.user on the database
#              write and check erasure tombstones                 roles/datastore.user on the database
#   reconciler find unpublished messages, mark them published     roles/datastore.user on the database
#              republish them                                     publisher on the messages topic
# Firestore roles carry an IAM condition naming this environment's database, so two
# environments sharing a project cannot read each other's data. chat has no BigQuery role at
# all; with the vertex backend ingest uses Firestore only for erasure tombstones (the backfill
# command runs with an operator's credentials). The custom roles are created once per project by infra/bootstrap, so
# the deployer needs no roleAdmin. Vertex AI checks the same permission, aiplatform.endpoints.predict,
# for embeddings and for text generation, so IAM cannot stop a holder of an embedding grant
# from calling a generative model: the residual is documented in infra/README.md.

locals {
  # Project-level roles without a resource of their own (granted unconditionally).
  function_roles = {
    chat       = []
    sessions   = []
    search     = ["roles/bigquery.jobUser"]
    ingest     = ["roles/bigquery.jobUser"]
    reconciler = []
  }
  # Firestore roles, granted on this environment's database only (IAM condition).
  # ingest: the erasure tombstones (and, with the firestore backend, the vectors).
  firestore_roles = { chat = "roles/datastore.user", sessions = "roles/datastore.user", search = "roles/datastore.viewer", reconciler = "roles/datastore.user", ingest = "roles/datastore.user" }
  vertex          = var.vector_backend == "vertex"
  custom_role_of = {
    chat   = "hs_model_caller"
    search = local.vertex ? "hs_vector_reader" : "hs_model_caller"
    ingest = local.vertex ? "hs_vector_writer" : "hs_model_caller"
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

  database_name = "projects/${var.project_id}/databases/${var.firestore_database}"

  secret_bindings = merge([
    for env_name, s in var.secrets : {
      for fn in s.functions : "${env_name}|${fn}" => { secret = s.secret, fn = fn } if contains(var.functions, fn)
    }
  ]...)

  # Every account of the product in this environment, keyed by a name known at plan time.
  accounts = merge(
    { for fn, sa in google_service_account.function : fn => sa.name },
    {
      gateway   = google_service_account.gateway.name
      scheduler = google_service_account.scheduler.name
      push      = google_service_account.push.name
      build     = google_service_account.build.name
    },
  )
  account_keys = concat(var.functions, ["gateway", "scheduler", "push", "build"])
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

# Predefined project roles per function that need no resource scope (table above).
resource "google_project_iam_member" "function" {
  for_each = local.project_bindings

  project = var.project_id
  role    = each.value.role
  member  = google_service_account.function[each.value.fn].member
}

# Firestore access on this environment's database only: the condition is Firestore's
# documented per-database IAM condition, so a second environment in the project stays apart.
resource "google_project_iam_member" "firestore" {
  for_each = { for fn, role in local.firestore_roles : fn => role if contains(var.functions, fn) }

  project = var.project_id
  role    = each.value
  member  = google_service_account.function[each.key].member

  condition {
    title       = "only ${var.firestore_database}"
    description = "Firestore database ${var.firestore_database} of ${var.name_prefix} only."
    expression  = "resource.name == \"${local.database_name}\""
  }
}

# The custom Vertex AI role of chat, search and ingest (created by infra/bootstrap).
resource "google_project_iam_member" "function_custom" {
  for_each = { for fn, role in local.custom_role_of : fn => role if contains(var.functions, fn) }

  project = var.project_id
  role    = "projects/${var.project_id}/roles/${each.value}"
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

# Function builds run as this account instead of the default compute account: the roles
# Google documents for a custom build service account (write build logs, push the image to
# Artifact Registry, read and write the build's source and cache objects).
resource "google_project_iam_member" "build" {
  for_each = toset(["roles/logging.logWriter", "roles/artifactregistry.writer", "roles/storage.objectAdmin"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.build.member
}

# The deployer may act as the product's accounts, and only those (instead of a project-wide
# serviceAccountUser): creating a function, trigger, job or push subscription that runs as an
# account needs iam.serviceAccounts.actAs on it.
resource "google_service_account_iam_member" "deployer" {
  for_each = var.deployer == null ? toset([]) : toset(local.account_keys)

  service_account_id = local.accounts[each.key]
  role               = "roles/iam.serviceAccountUser"
  member             = var.deployer
}

# IAM changes take effect within about a minute, sometimes up to seven (Google's "access change
# propagation"): builds and functions that start earlier fail with 403 on source, logs or
# secrets. Everything that uses these accounts depends on this module, so on this wait too.
resource "time_sleep" "grants" {
  create_duration = var.propagation_wait

  triggers = { for k, v in local.accounts : k => v }

  depends_on = [
    google_project_iam_member.build,
    google_project_iam_member.function,
    google_project_iam_member.firestore,
    google_project_iam_member.function_custom,
    google_pubsub_topic_iam_member.publisher,
    google_bigquery_dataset_iam_member.function,
    google_secret_manager_secret_iam_member.function,
    google_service_account_iam_member.deployer,
  ]
}
