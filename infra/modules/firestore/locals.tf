# Index and field declarations decoded from the index file. Only variables and files are read
# here, so tests/infra evaluates these locals with Terraform itself, offline.

locals {
  index_spec = jsondecode(file(var.indexes_file))

  # Keyed by collection group, scope and fields: reordering the file recreates nothing, and two
  # identical declarations fail loudly as a duplicate key.
  indexes = {
    for idx in try(local.index_spec.indexes, []) :
    join("|", concat(
      [idx.collectionGroup, try(idx.queryScope, "COLLECTION")],
      [for f in idx.fields : format("%s:%s", f.fieldPath, try(f.order, try(f.arrayConfig, "VECTOR${f.vectorConfig.dimension}")))]
    )) => idx
    # Vector indexes serve the firestore vector backend only.
    if var.vector_indexes || alltrue([for f in idx.fields : !can(f.vectorConfig)])
  }

  overrides = {
    for o in try(local.index_spec.fieldOverrides, []) :
    "${o.collectionGroup}/${o.fieldPath}" => {
      collection = o.collectionGroup
      field      = o.fieldPath
      ttl        = try(o.ttl, false)
      indexes    = try(o.indexes, null)
    }
  }

  ttl_overrides = {
    for t in var.ttl_fields :
    "${t.collection}/${t.field}" => {
      collection = t.collection
      field      = t.field
      ttl        = true
      indexes    = try(local.overrides["${t.collection}/${t.field}"].indexes, null)
    }
  }

  # A TTL field from the variable wins over the same field declared in the file.
  fields = merge(local.overrides, local.ttl_overrides)

  # (default) may be shared with another environment or imported into a second state: Terraform
  # never deletes it. A named database of this environment alone goes with it when unprotected.
  deletion_policy = var.database_id != "(default)" && !var.deletion_protection ? "DELETE" : "ABANDON"
}
