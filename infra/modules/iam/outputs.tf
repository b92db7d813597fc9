output "function_service_accounts" {
  description = "Runtime service account email per function."
  value       = { for fn, sa in google_service_account.function : fn => sa.email }
}

output "gateway_service_account" {
  description = "Email of the account API Gateway signs backend OIDC tokens with."
  value       = google_service_account.gateway.email
}

output "scheduler_service_account" {
  description = "Email of the Cloud Scheduler job's identity."
  value       = google_service_account.scheduler.email
}

output "push_service_account" {
  description = "Email of the identity that delivers Pub/Sub events to ingest."
  value       = google_service_account.push.email
}

output "build_service_account" {
  description = "Full resource name of the account that builds the functions."
  value       = google_service_account.build.id
}

output "custom_roles" {
  description = "Custom role granted per function (chat, search, ingest); the roles are created by infra/bootstrap."
  value       = { for fn, b in google_project_iam_member.function_custom : fn => b.role }
}
