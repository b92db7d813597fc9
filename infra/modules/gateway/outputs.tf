output "url" {
  description = "Public base URL of the API (https://<gateway host>)."
  value       = "https://${google_api_gateway_gateway.this.default_hostname}"
}

output "api_id" {
  description = "API Gateway API id."
  value       = google_api_gateway_api.this.api_id
}

output "managed_service" {
  description = "Managed service name of the API (for enabling it and for API keys)."
  value       = google_api_gateway_api.this.managed_service
}

output "config_id" {
  description = "Resource id of the API config the gateway serves."
  value       = google_api_gateway_api_config.this.id
}
