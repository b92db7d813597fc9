variable "project_id" {
  description = "Project of the database."
  type        = string
}

variable "database_id" {
  description = "Firestore database id; \"(default)\" or a named database (HS_FIRESTORE_DATABASE)."
  type        = string
  default     = "(default)"

  validation {
    condition     = var.database_id == "(default)" || can(regex("^[a-z][a-z0-9-]{2,61}[a-z0-9]$", var.database_id))
    error_message = "database_id must be \"(default)\" or 4-63 lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "location_id" {
  description = "Firestore location (a region such as us-central1 or a multi-region such as nam5); immutable."
  type        = string
}

variable "indexes_file" {
  description = "Path of the Firebase-CLI-format index file (indexes[] and fieldOverrides[])."
  type        = string
}

variable "ttl_fields" {
  description = "Timestamp fields that get a TTL policy, e.g. [{collection = \"sessions\", field = \"expires_at\"}]."
  type = list(object({
    collection = string
    field      = string
  }))
  default = []
}

variable "point_in_time_recovery" {
  description = "Keep 7 days of versions for point-in-time recovery (off: 1 hour)."
  type        = bool
  default     = true
}

variable "deletion_protection" {
  description = "Refuse to delete the database; when on, destroying the resource also abandons the data."
  type        = bool
  default     = true
}

variable "vector_indexes" {
  description = "Create the vector indexes of the index file (the firestore vector backend); false skips them."
  type        = bool
  default     = true
}
