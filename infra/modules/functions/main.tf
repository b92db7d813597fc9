# The Cloud Run functions (2nd gen): one source archive per function in a private bucket, one
# google_cloudfunctions2_function per entry of var.functions, and run.invoker for exactly the
# callers given in var.invokers. No function is public: there is no allUsers binding anywhere;
# the HTTP API is reached through API Gateway, whose identity is the only invoker of those
# functions.

locals {
  # The object name carries the archive's SHA-256: a changed archive is a new object and
  # therefore a new build; an unchanged one leaves the plan empty.
  archives = {
    for name in keys(var.functions) : name => {
      path   = "${var.source_dir}/${name}.zip"
      sha256 = filesha256("${var.source_dir}/${name}.zip")
    }
  }

  # The bucket created here, or the one another call of this module created.
  source_bucket = var.source_bucket == null ? google_storage_bucket.source[0].name : var.source_bucket

  # Keyed by function and caller name, both known at plan time (member emails are not, on the
  # first apply).
  invoker_bindings = merge([
    for name, callers in var.invokers : {
      for caller, member in callers : "${name}|${caller}" => { name = name, member = member }
    }
  ]...)
}

# Private bucket of the functions' source archives (unless source_bucket names one).
resource "google_storage_bucket" "source" {
  #checkov:skip=CKV_GCP_62:Access logs of a bucket that only Terraform and Cloud Build read add cost without audit value; Cloud Audit Logs record admin access.
  count = var.source_bucket == null ? 1 : 0

  project                     = var.project_id
  name                        = "${var.project_id}-${var.name_prefix}-fn-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  versioning {
    enabled = true
  }

  # Archives are named by hash, so a new one never overwrites the old: Terraform deletes the
  # superseded object, which versioning keeps as a noncurrent version with no newer version of
  # its name (num_newer_versions would never match it). It goes after archive_retention_days.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.archive_retention_days
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }
}

# One uploaded archive per function, named by its hash.
resource "google_storage_bucket_object" "source" {
  for_each = local.archives

  bucket       = local.source_bucket
  name         = "${each.key}/${each.value.sha256}.zip"
  source       = each.value.path
  content_type = "application/zip"

  # The previous archive stays until the function has been rebuilt from the new one.
  lifecycle {
    create_before_destroy = true
  }
}

# One function per entry of var.functions, built from its archive.
resource "google_cloudfunctions2_function" "this" {
  #checkov:skip=CKV_GCP_124:API Gateway reaches its backends over the internet, so the gateway's functions need ALLOW_ALL ingress; only the gateway's service account may invoke them (no allUsers), and ingest/reconciler are ALLOW_INTERNAL_ONLY.
  for_each = var.functions

  project     = var.project_id
  location    = var.region
  name        = "${var.name_prefix}-${each.key}"
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = var.runtime
    entry_point     = each.key
    service_account = var.build_service_account

    source {
      # The generation pins the build to this upload: without it a new archive plans an
      # unknown generation and apply fails with "inconsistent final plan"
      # (hashicorp/terraform-provider-google#19134).
      storage_source {
        bucket     = local.source_bucket
        object     = google_storage_bucket_object.source[each.key].name
        generation = google_storage_bucket_object.source[each.key].generation
      }
    }
  }

  service_config {
    available_memory                 = each.value.memory
    available_cpu                    = each.value.cpu
    timeout_seconds                  = each.value.timeout_seconds
    min_instance_count               = each.value.min_instances
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    ingress_settings                 = each.value.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = each.value.service_account_email
    environment_variables            = each.value.env

    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value.secret
        version    = secret_environment_variables.value.version
      }
    }
  }

  # Only for event functions delivered by Eventarc. Retries are off by default; RETRY makes a
  # raised exception (a transient BigQuery or Vertex failure) come back with backoff.
  dynamic "event_trigger" {
    for_each = each.value.trigger == "eventarc_pubsub" ? [1] : []
    content {
      trigger_region        = var.region
      event_type            = "google.cloud.pubsub.topic.v1.messagePublished"
      pubsub_topic          = var.pubsub_topic_id
      retry_policy          = "RETRY_POLICY_RETRY"
      service_account_email = var.event_trigger_service_account
    }
  }
}

# 2nd gen functions are Cloud Run services of the same name; invocation is run.invoker there.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.invoker_bindings

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.this[each.value.name].name
  role     = "roles/run.invoker"
  member   = each.value.member
}
