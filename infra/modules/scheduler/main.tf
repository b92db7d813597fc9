# Cloud Scheduler calls the reconciler, which republishes messages that were stored while
# Pub/Sub was unavailable. The call carries an OIDC token of a dedicated account that may invoke
# the reconciler and nothing else; the reconciler itself is not public.

# The reconciler run, every few minutes.
resource "google_cloud_scheduler_job" "reconciler" {
  project          = var.project_id
  region           = var.region
  name             = "${var.name_prefix}-reconciler"
  description      = "Republish messages marked unpublished (Pub/Sub was down when they were stored)."
  schedule         = var.schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "${var.attempt_deadline_seconds}s"

  retry_config {
    retry_count          = 3
    min_backoff_duration = "10s"
    max_backoff_duration = "300s"
  }

  http_target {
    # `POST /` with no body: one reconciler run (shared/api/reconciler.py).
    http_method = "POST"
    uri         = var.reconciler_url

    oidc_token {
      service_account_email = var.service_account_email
      audience              = var.reconciler_url
    }
  }
}
