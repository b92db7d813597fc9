output "deployer_service_account" {
  description = "Email of the account the pipelines deploy with."
  value       = google_service_account.deployer.email
}

output "triggers" {
  description = "Trigger id per environment (test, plan, publish; apply without approval)."
  value       = { for env, t in google_cloudbuild_trigger.env : env => t.trigger_id }
}

output "apply_triggers" {
  description = "Trigger id of the approval-gated apply per environment that requires approval."
  value       = { for env, t in google_cloudbuild_trigger.apply : env => t.trigger_id }
}
