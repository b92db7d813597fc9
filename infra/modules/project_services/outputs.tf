output "services" {
  description = "Enabled API names; depend on this output to order resources after enablement."
  value       = [for s in google_project_service.this : s.service]
}

output "agents" {
  description = "Service agent email per API in service_agents, available once their roles have propagated."
  value       = time_sleep.agents.triggers
}

output "pubsub_agent" {
  description = "IAM member of the Pub/Sub service agent (dead-letter forwarding), or null when not requested."
  value       = try("serviceAccount:${time_sleep.agents.triggers["pubsub.googleapis.com"]}", null)
}
