output "deployer_service_account" {
  description = "Email of the account the pipelines deploy with."
  value       = google_service_account.deployer.email
}

output "triggers" {
  description = "Trigger id per environment."
  value       = { for env, t in google_cloudbuild_trigger.env : env => t.trigger_id }
}
