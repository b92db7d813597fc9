output "names" {
  description = "Cloud name of each function (<prefix>-<name>)."
  value       = { for k, f in google_cloudfunctions2_function.this : k => f.name }
}

output "urls" {
  description = "HTTPS URL of each function (the underlying Cloud Run service)."
  value       = { for k, f in google_cloudfunctions2_function.this : k => f.service_config[0].uri }
}

output "source_objects" {
  description = "Source archive object per function (gs://bucket/<name>/<sha256>.zip)."
  value       = { for k, o in google_storage_bucket_object.source : k => "gs://${o.bucket}/${o.name}" }
}

output "source_bucket" {
  description = "Bucket holding the source archives."
  value       = local.source_bucket
}
