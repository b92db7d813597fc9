# What the environments' pipelines need before they can run, applied once by a person with Owner
# on the pipelines' project and on each environment's project: the identity Cloud Build deploys
# with, the roles it has in each environment's project, the product's custom roles, and per
# environment a trigger that tests, plans and publishes the plan (and applies it at once, dev)
# plus, where a person must approve, a second trigger that applies exactly that saved plan.

locals {
  env_projects = toset([for e in values(var.environments) : e.project_id])

  # What the deployer creates in the env stacks, by product; each role is that product's admin
  # (or narrower), not roles/editor. Not among them: serviceAccountUser (the env stack grants it
  # on the product's own accounts), roleAdmin (the custom roles are made here), and an
  # unconditioned projectIamAdmin (below).
  deployer_roles = toset([
    "roles/aiplatform.admin",               # Vector Search index, endpoint, deployed index
    "roles/apigateway.admin",               # API, config, gateway
    "roles/bigquery.admin",                 # dataset, tables, views, dataset IAM
    "roles/cloudfunctions.admin",           # the functions
    "roles/cloudscheduler.admin",           # the reconciler job
    "roles/datastore.owner",                # Firestore database, indexes, TTL fields; smoke API keys
    "roles/eventarc.admin",                 # the Eventarc trigger (ingest_delivery = eventarc)
    "roles/iam.serviceAccountAdmin",        # the runtime and caller service accounts and their IAM
    "roles/pubsub.admin",                   # topics, subscriptions, topic IAM
    "roles/run.admin",                      # run.invoker on the functions' services
    "roles/secretmanager.admin",            # secret accessor grants; the smoke run reads the pepper
    "roles/servicemanagement.admin",        # API Gateway's managed service
    "roles/serviceusage.serviceUsageAdmin", # enabling the APIs, creating service agents
    "roles/storage.admin",                  # the function source bucket and archives
  ])

  # The product's custom roles (infra/modules/iam/main.tf says who gets which), narrower than
  # roles/aiplatform.user. Vertex AI checks aiplatform.endpoints.predict for embeddings and for
  # generation alike: see infra/README.md, "Least privilege".
  custom_roles = {
    hs_model_caller = {
      title       = "hybrid-sessions model caller"
      description = "Call Vertex AI publisher models (generation and embeddings); nothing else."
      permissions = ["aiplatform.endpoints.predict"]
    }
    hs_vector_reader = {
      title       = "hybrid-sessions vector reader"
      description = "Embed queries and run find_neighbors on the message index endpoint."
      permissions = [
        "aiplatform.endpoints.predict",
        "aiplatform.indexEndpoints.get",
        "aiplatform.indexEndpoints.queryVectors",
        "aiplatform.indexes.get",
      ]
    }
    hs_vector_writer = {
      title       = "hybrid-sessions vector writer"
      description = "Embed messages and upsert or remove datapoints of the message index."
      permissions = [
        "aiplatform.endpoints.predict",
        "aiplatform.indexes.get",
        "aiplatform.indexes.update",
      ]
    }
  }

  # The only project-level roles an env stack grants (infra/modules/iam); tests/infra checks
  # that the module grants nothing else.
  grantable_roles = [
    "roles/artifactregistry.writer",
    "roles/bigquery.jobUser",
    "roles/datastore.user",
    "roles/datastore.viewer",
    "roles/logging.logWriter",
    "roles/storage.objectAdmin",
  ]

  project_roles = merge([
    for project in local.env_projects : { for role in local.deployer_roles : "${project}|${role}" => { project = project, role = role } }
  ]...)
  project_custom_roles = merge([
    for project in local.env_projects : { for id, role in local.custom_roles : "${project}|${id}" => merge(role, { project = project, id = id }) }
  ]...)
  approved = { for env, e in var.environments : env => e if e.approval_required }
  repo_uri = "https://github.com/${var.github_owner}/${var.github_repo}"
}

# The identity every pipeline build deploys with.
resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "hs-deployer"
  display_name = "hybrid-sessions deployer"
  description  = "Identity of the Cloud Build pipelines that plan and apply infra/envs/*."
}

# The deployer's product roles in each environment's project (list above).
resource "google_project_iam_member" "deployer" {
  #checkov:skip=CKV_GCP_49:Creating the per-function service accounts is the deployer's job; it is not a human identity, runs only reviewed pipeline code, and may hand out only the roles in the condition of deployer_iam_admin.
  for_each = local.project_roles

  project = each.value.project
  role    = each.value.role
  member  = google_service_account.deployer.member
}

# Project-level grants, limited by condition to the roles the env stack hands out: without the
# condition projectIamAdmin could grant roles/owner to anyone, the deployer included.
resource "google_project_iam_member" "deployer_iam_admin" {
  for_each = local.env_projects

  project = each.value
  role    = "roles/resourcemanager.projectIamAdmin"
  member  = google_service_account.deployer.member

  condition {
    title       = "product roles only"
    description = "Grant or revoke only the roles infra/modules/iam grants at project level."
    expression = format(
      "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([%s])",
      join(", ", formatlist("'%s'", concat(local.grantable_roles, [for id in keys(local.custom_roles) : "projects/${each.value}/roles/${id}"]))),
    )
  }
}

# The product's custom roles in each environment's project, so the deployer needs no roleAdmin.
resource "google_project_iam_custom_role" "product" {
  for_each = local.project_custom_roles

  project     = each.value.project
  role_id     = each.value.id
  title       = each.value.title
  description = each.value.description
  permissions = each.value.permissions
}

# Build logs of the pipelines (CLOUD_LOGGING_ONLY) and starting the apply trigger after a
# published plan, in the pipelines' project.
resource "google_project_iam_member" "deployer_builds" {
  #checkov:skip=CKV_GCP_49:builds.editor in the pipelines' project lets the deployer start the approval-gated apply trigger; that trigger runs as the deployer itself, the only account it may act as there.
  for_each = toset(["roles/logging.logWriter", "roles/cloudbuild.builds.editor"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer.member
}

# Running a trigger that builds as the deployer needs actAs on the deployer itself, and only that.
resource "google_service_account_iam_member" "deployer_self" {
  service_account_id = google_service_account.deployer.name
  role               = "roles/iam.serviceAccountUser"
  member             = google_service_account.deployer.member
}

# Terraform state and the published plans live in the pre-existing bucket.
resource "google_storage_bucket_iam_member" "deployer_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.deployer.member
}

# Per environment: lint, test, package, plan and publish the plan (cloudbuild.yaml); without
# approval it also applies the plan and runs the smoke suite.
resource "google_cloudbuild_trigger" "env" {
  for_each = var.environments

  project         = var.project_id
  location        = var.region
  name            = "hs-${each.key}"
  description     = "Test, package, plan and publish the plan of infra/envs/${each.key}${each.value.approval_required ? "; hs-${each.key}-apply applies it once approved" : ", then apply it and smoke-test"}."
  filename        = "cloudbuild.yaml"
  service_account = google_service_account.deployer.id

  github {
    owner = var.github_owner
    name  = var.github_repo

    push {
      branch = each.value.branch_pattern
      tag    = each.value.tag_pattern
    }
  }

  substitutions = {
    _ENV                = each.key
    _TF_STATE_BUCKET    = var.state_bucket
    _PROJECT_ID         = each.value.project_id
    _FIRESTORE_DATABASE = each.value.firestore_database
    _APPLY              = each.value.approval_required ? "after-approval" : "now"
  }

  depends_on = [google_project_iam_member.deployer, google_storage_bucket_iam_member.deployer_state]
}

# Per approval-gated environment: applies the saved plan that hs-<env> published (_PLAN_URL),
# then runs the smoke suite. hs-<env> starts it; it waits, before any step runs, until someone
# with roles/cloudbuild.builds.approver has read that plan and approved.
resource "google_cloudbuild_trigger" "apply" {
  for_each = local.approved

  project         = var.project_id
  location        = var.region
  name            = "hs-${each.key}-apply"
  description     = "Apply the approved, published plan of infra/envs/${each.key} and smoke-test it."
  service_account = google_service_account.deployer.id

  # Started only by hs-<env> (gcloud builds triggers run), never by a push.
  source_to_build {
    uri       = local.repo_uri
    ref       = "refs/heads/main"
    repo_type = "GITHUB"
  }

  git_file_source {
    path      = "cloudbuild.apply.yaml"
    uri       = local.repo_uri
    revision  = "refs/heads/main"
    repo_type = "GITHUB"
  }

  substitutions = {
    _ENV             = each.key
    _TF_STATE_BUCKET = var.state_bucket
    _PLAN_URL        = ""
  }

  approval_config {
    approval_required = true
  }

  depends_on = [google_project_iam_member.deployer, google_storage_bucket_iam_member.deployer_state]
}
