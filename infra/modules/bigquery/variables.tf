variable "project_id" {
  description = "Project of the dataset."
  type        = string
}

variable "dataset_id" {
  description = "Dataset id (HS_BIGQUERY_DATASET)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_]+$", var.dataset_id)) && length(var.dataset_id) <= 1024
    error_message = "dataset_id may contain only letters, digits and underscores (at most 1024)."
  }
}

variable "location" {
  description = "Dataset location (HS_BIGQUERY_LOCATION), e.g. US, EU or a region."
  type        = string
}

variable "definitions_dir" {
  description = "Directory with tables.json, schemas/<table>.json and views/<view>.sql."
  type        = string
}

variable "partition_expiration_days" {
  description = "Days a day partition is kept before BigQuery drops it; null keeps data forever."
  type        = number
  default     = null

  validation {
    condition     = var.partition_expiration_days == null || try(var.partition_expiration_days >= 1, false)
    error_message = "partition_expiration_days must be null or at least 1."
  }
}

variable "require_partition_filter" {
  description = "Reject queries on the raw tables that do not filter on the partition column."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Refuse to delete tables and views, and keep the dataset's contents on destroy."
  type        = bool
  default     = true
}

variable "kms_key_name" {
  description = "Cloud KMS key for the dataset's default encryption; null = Google-managed keys."
  type        = string
  default     = null
}

variable "labels" {
  description = "Labels on the dataset, tables and views."
  type        = map(string)
  default     = {}
}
