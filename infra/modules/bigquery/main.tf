# The analytics dataset: raw tables the ingest function streams into (day-partitioned, clustered)
# and the deduplicated views analysts and the search function query. Tables and views come from
# infra/bigquery/, the same files the local stack provisions the BigQuery emulator from.

# Holds the raw event tables and the views; contents are kept on destroy while protected.
resource "google_bigquery_dataset" "this" {
  #checkov:skip=CKV_GCP_81:Google-managed encryption is the default; CMEK is optional (kms_key_name) and not required by the data classification of this product.
  project                    = var.project_id
  dataset_id                 = var.dataset_id
  location                   = var.location
  description                = "hybrid-sessions analytics: raw message/session/erasure events and their deduplicated views."
  delete_contents_on_destroy = !var.deletion_protection
  labels                     = var.labels

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }
}

# Raw tables the ingest function streams into, one per entry of tables.json.
resource "google_bigquery_table" "tables" {
  #checkov:skip=CKV_GCP_80:Encryption follows the dataset default (CMEK when kms_key_name is set), see CKV_GCP_81 above.
  #checkov:skip=CKV_GCP_121:Deletion protection is a per-environment variable, on by default and in prod; dev turns it off so it can be torn down.
  for_each = local.table_specs

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = each.key
  description         = try(each.value.description, null)
  schema              = jsonencode(jsondecode(file("${var.definitions_dir}/${each.value.schema}")))
  clustering          = try(each.value.clustering, null)
  deletion_protection = var.deletion_protection
  labels              = var.labels

  # Queries without a filter on the partition column fail instead of scanning every day.
  require_partition_filter = var.require_partition_filter

  time_partitioning {
    type          = each.value.time_partitioning.type
    field         = each.value.time_partitioning.field
    expiration_ms = local.partition_expiration_ms
  }
}

# Deduplicated views over the raw tables, one per views/<name>.sql; what every reader queries.
resource "google_bigquery_table" "views" {
  #checkov:skip=CKV_GCP_80:A view stores no data; nothing to encrypt.
  #checkov:skip=CKV_GCP_121:Deletion protection is a per-environment variable, on by default and in prod; a view is recreated from its SQL file anyway.
  for_each = local.views

  project             = var.project_id
  dataset_id          = google_bigquery_dataset.this.dataset_id
  table_id            = each.key
  deletion_protection = var.deletion_protection
  labels              = var.labels

  view {
    query = each.value
    # Unset means legacy SQL to the API; the views are GoogleSQL (QUALIFY, backticked names).
    use_legacy_sql = false
  }

  depends_on = [google_bigquery_table.tables]
}
