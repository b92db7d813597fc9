# What the environments' pipelines need before they can run, applied once per project by a
# person with Owner: the identity Cloud Build deploys with, its access to the state bucket, and
# one trigger per environment (prod waits for an approver).

locals {
  # What the deployer creates in the env stacks, by product; each role is that product's admin
  # (or narrower), not roles/editor.
  deployer_roles = toset([
    "roles/aiplatform.admin",                # Vector Search index, endpoint, deployed index
    "roles/apigateway.admin",                # API, config, gateway
    "roles/bigquery.admin",                  # dataset, tables, views, dataset IAM
    "roles/cloudfunctions.admin",            # the functions
    "roles/cloudscheduler.admin",            # the reconciler job
    "roles/datastore.owner",                 # Firestore database, indexes, TTL fields
    "roles/eventarc.admin",                  # the Eventarc trigger (ingest_delivery = eventarc)
    "roles/iam.roleAdmin",                   # the custom Vertex AI roles
    "roles/iam.serviceAccountAdmin",         # the runtime and caller service accounts
    "roles/iam.serviceAccountUser",          # deploy functions and jobs that run as those accounts
    "roles/logging.logWriter",               # build logs (CLOUD_LOGGING_ONLY)
    "roles/pubsub.admin",                    # topics, subscriptions, topic IAM
    "roles/resourcemanager.projectIamAdmin", # project-level grants of the runtime accounts
    "roles/run.admin",                       # run.invoker on the functions' services
    "roles/secretmanager.admin",             # secret accessor grants (not the values)
    "roles/servicemanagement.admin",         # API Gateway's managed service
    "roles/serviceusage.serviceUsageAdmin",  # enabling the APIs
    "roles/storage.admin",                   # the function source bucket and archives
  ])
}

# The identity every pipeline build deploys with.
resource "google_service_account" "deployer" {
  project      = var.project_id
  account_id   = "hs-deployer"
  display_name = "hybrid-sessions deployer"
  description  = "Identity of the Cloud Build pipelines that plan and apply infra/envs/*."
}

# The deployer's roles (list above).
resource "google_project_iam_member" "deployer" {
  #checkov:skip=CKV_GCP_41:The deployer must act as the runtime service accounts the env stack itself creates, so Service Account User cannot be bound per account ahead of time; the account is used only by the Cloud Build triggers below.
  #checkov:skip=CKV_GCP_49:Creating the per-function service accounts and their grants is the deployer's job; it is not a human identity and runs only reviewed pipeline code.
  for_each = local.deployer_roles

  project = var.project_id
  role    = each.value
  member  = google_service_account.deployer.member
}

# Terraform state (including the env stacks') lives in the pre-existing bucket.
resource "google_storage_bucket_iam_member" "deployer_state" {
  bucket = var.state_bucket
  role   = "roles/storage.objectAdmin"
  member = google_service_account.deployer.member
}

# One trigger per environment running cloudbuild.yaml with its _ENV.
resource "google_cloudbuild_trigger" "env" {
  for_each = var.environments

  project         = var.project_id
  location        = var.region
  name            = "hs-${each.key}"
  description     = "Test, package, plan and apply infra/envs/${each.key}."
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
    _ENV             = each.key
    _TF_STATE_BUCKET = var.state_bucket
  }

  # A build of an approval-gated trigger waits, before any step runs, until someone with
  # roles/cloudbuild.builds.approver approves it.
  approval_config {
    approval_required = each.value.approval_required
  }

  depends_on = [google_project_iam_member.deployer, google_storage_bucket_iam_member.deployer_state]
}
