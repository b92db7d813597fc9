# The Firestore database (native mode), its composite indexes and its single-field overrides.
# Indexes come from the same Firebase-CLI-format JSON file the emulator's strict-index mode reads,
# so a query the tests accept locally has its index in the cloud too.

# The database sessions, messages, idempotency records and the outbox live in.
resource "google_firestore_database" "this" {
  project     = var.project_id
  name        = var.database_id
  location_id = var.location_id
  type        = "FIRESTORE_NATIVE"

  point_in_time_recovery_enablement = var.point_in_time_recovery ? "POINT_IN_TIME_RECOVERY_ENABLED" : "POINT_IN_TIME_RECOVERY_DISABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  # ABANDON keeps the data when the Terraform resource goes away (locals.tf says when not).
  deletion_policy = local.deletion_policy
}

# One composite index per indexes[] entry of the index file.
resource "google_firestore_index" "this" {
  for_each = local.indexes

  project     = var.project_id
  database    = google_firestore_database.this.name
  collection  = each.value.collectionGroup
  query_scope = try(each.value.queryScope, "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = try(fields.value.order, null)
      array_config = try(fields.value.arrayConfig, null)

      dynamic "vector_config" {
        for_each = can(fields.value.vectorConfig) ? [fields.value.vectorConfig] : []
        content {
          dimension = vector_config.value.dimension
          flat {}
        }
      }
    }
  }
}

# Single-field settings: index exemptions from fieldOverrides[] and TTL policies.
resource "google_firestore_field" "this" {
  for_each = local.fields

  project    = var.project_id
  database   = google_firestore_database.this.name
  collection = each.value.collection
  field      = each.value.field

  # Present only for TTL fields: Firestore deletes a document some time (typically within 24 h)
  # after the timestamp in this field has passed.
  dynamic "ttl_config" {
    for_each = each.value.ttl ? [1] : []
    content {}
  }

  # Present only when the file lists indexes for the field; an empty list exempts it from
  # single-field indexing (cheaper writes for large text or timestamps only used by TTL).
  dynamic "index_config" {
    for_each = each.value.indexes == null ? [] : [each.value.indexes]
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          order        = try(indexes.value.order, null)
          array_config = try(indexes.value.arrayConfig, null)
          query_scope  = try(indexes.value.queryScope, "COLLECTION")
        }
      }
    }
  }
}
