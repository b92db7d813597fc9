output "index_id" {
  description = "Index resource name (HS_VECTOR_INDEX), the target of upsert_datapoints; null when disabled."
  value       = one(google_vertex_ai_index.this[*].id)
}

output "index_endpoint_id" {
  description = "Index endpoint resource name (HS_VECTOR_INDEX_ENDPOINT); null when disabled."
  value       = one(google_vertex_ai_index_endpoint.this[*].id)
}

output "deployed_index_id" {
  description = "Deployed index id (HS_VECTOR_DEPLOYED_INDEX_ID); null when disabled."
  value       = one(google_vertex_ai_index_endpoint_deployed_index.this[*].deployed_index_id)
}

output "public_endpoint_domain" {
  description = "Host for find_neighbors on the public endpoint (HS_VECTOR_PUBLIC_ENDPOINT); null when disabled."
  value       = one(google_vertex_ai_index_endpoint.this[*].public_endpoint_domain_name)
}
