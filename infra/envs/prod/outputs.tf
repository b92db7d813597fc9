output "api_url" {
  description = "Public base URL of the API."
  value       = module.hybrid_sessions.api_url
}

output "bigquery_dataset" {
  description = "Analytics dataset id."
  value       = module.hybrid_sessions.bigquery_dataset
}

output "vector_index_endpoint" {
  description = "Vector Search index endpoint resource name."
  value       = module.hybrid_sessions.vector_index_endpoint
}

output "messages_topic" {
  description = "Messages topic name."
  value       = module.hybrid_sessions.messages_topic
}

output "env_vars" {
  description = "Settings in env-var form for apps and scripts (terraform output -json env_vars)."
  value       = module.hybrid_sessions.env_vars
}
