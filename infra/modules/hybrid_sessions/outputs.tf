output "api_url" {
  description = "Public base URL of the API (API Gateway)."
  value       = module.gateway.url
}

output "function_urls" {
  description = "Direct URLs of the functions (not publicly invokable; for diagnostics with an authorised identity)."
  value       = local.function_urls
}

output "messages_topic" {
  description = "Messages topic name."
  value       = module.pubsub.messages_topic
}

output "dead_letter_subscription" {
  description = "Subscription holding dead-lettered events."
  value       = module.pubsub.dead_letter_subscription
}

output "bigquery_dataset" {
  description = "Analytics dataset id."
  value       = module.bigquery.dataset_id
}

output "vector_index_endpoint" {
  description = "Vector Search index endpoint resource name (vertex backend; null otherwise)."
  value       = module.vector_search.index_endpoint_id
}

output "vector_public_endpoint" {
  description = "Public endpoint domain for find_neighbors (vertex backend; null otherwise)."
  value       = module.vector_search.public_endpoint_domain
}

output "env_vars" {
  description = "Every setting in env-var form (the names shared/config.py reads), for apps, scripts and the backfill command."
  value       = merge(local.env_values, local.optional_env_values)
}

output "service_accounts" {
  description = "Runtime identity per function and the caller identities."
  value = merge(module.iam.function_service_accounts, {
    gateway   = module.iam.gateway_service_account
    scheduler = module.iam.scheduler_service_account
    push      = module.iam.push_service_account
  })
}
