output "job_id" {
  description = "Resource id of the reconciler job."
  value       = google_cloud_scheduler_job.reconciler.id
}
