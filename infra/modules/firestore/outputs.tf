output "database_id" {
  description = "Database id to put in HS_FIRESTORE_DATABASE."
  value       = google_firestore_database.this.name
}

output "index_ids" {
  description = "Composite index resource names keyed by collection group, scope and fields."
  value       = { for k, v in google_firestore_index.this : k => v.name }
}

output "ttl_fields" {
  description = "collection/field pairs with a TTL policy."
  value       = [for k, v in local.fields : k if v.ttl]
}
