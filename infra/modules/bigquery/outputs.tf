output "dataset_id" {
  description = "Dataset id (HS_BIGQUERY_DATASET)."
  value       = google_bigquery_dataset.this.dataset_id
}

output "location" {
  description = "Dataset location (HS_BIGQUERY_LOCATION)."
  value       = google_bigquery_dataset.this.location
}

output "table_ids" {
  description = "Raw table ids keyed by name."
  value       = { for k, t in google_bigquery_table.tables : k => t.id }
}

output "view_ids" {
  description = "Deduplicated view ids keyed by name."
  value       = { for k, v in google_bigquery_table.views : k => v.id }
}
