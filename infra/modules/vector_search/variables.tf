variable "enabled" {
  description = "Create the index, endpoint and deployed index (vector_backend = \"vertex\"); false creates nothing."
  type        = bool
  default     = true
}

variable "project_id" {
  description = "Project of the index."
  type        = string
}

variable "region" {
  description = "Vertex AI region of the index and endpoint (HS_VERTEX_LOCATION)."
  type        = string
}

variable "name_prefix" {
  description = "Prefix of display names, e.g. hs-dev."
  type        = string
}

variable "embedding_model" {
  description = "Embedding model whose vectors the index holds (HS_EMBEDDING_MODEL); recorded in the description."
  type        = string
}

variable "dimensions" {
  description = "Vector size; must equal the embedding model's output (HS_EMBEDDING_DIMENSIONS, 768 for text-embedding-005)."
  type        = number

  validation {
    condition     = var.dimensions >= 1 && var.dimensions <= 4096 && floor(var.dimensions) == var.dimensions
    error_message = "dimensions must be a whole number between 1 and 4096."
  }
}

variable "distance_measure_type" {
  description = "Similarity measure; DOT_PRODUCT_DISTANCE with UNIT_L2_NORM equals cosine similarity."
  type        = string
  default     = "DOT_PRODUCT_DISTANCE"

  validation {
    condition     = contains(["SQUARED_L2_DISTANCE", "L1_DISTANCE", "COSINE_DISTANCE", "DOT_PRODUCT_DISTANCE"], var.distance_measure_type)
    error_message = "distance_measure_type must be SQUARED_L2_DISTANCE, L1_DISTANCE, COSINE_DISTANCE or DOT_PRODUCT_DISTANCE."
  }
}

variable "feature_norm_type" {
  description = "UNIT_L2_NORM normalises vectors on insert; NONE keeps them as given."
  type        = string
  default     = "UNIT_L2_NORM"

  validation {
    condition     = contains(["UNIT_L2_NORM", "NONE"], var.feature_norm_type)
    error_message = "feature_norm_type must be UNIT_L2_NORM or NONE."
  }
}

variable "approximate_neighbors_count" {
  description = "Neighbours found by approximate search before reordering (tree-AH)."
  type        = number
  default     = 150
}

variable "shard_size" {
  description = "Shard size (ForceNew); SMALL allows e2-standard-2 replicas, the cheapest."
  type        = string
  default     = "SHARD_SIZE_SMALL"

  validation {
    condition     = contains(["SHARD_SIZE_SMALL", "SHARD_SIZE_MEDIUM", "SHARD_SIZE_LARGE"], var.shard_size)
    error_message = "shard_size must be SHARD_SIZE_SMALL, SHARD_SIZE_MEDIUM or SHARD_SIZE_LARGE."
  }
}

variable "leaf_node_embedding_count" {
  description = "Embeddings per leaf node of the tree-AH index."
  type        = number
  default     = 1000
}

variable "leaf_nodes_to_search_percent" {
  description = "Share of leaf nodes searched per query (recall vs latency)."
  type        = number
  default     = 10

  validation {
    condition     = var.leaf_nodes_to_search_percent >= 1 && var.leaf_nodes_to_search_percent <= 100
    error_message = "leaf_nodes_to_search_percent must be between 1 and 100."
  }
}

variable "deployed_index_id" {
  description = "Id of the deployed index (HS_VECTOR_DEPLOYED_INDEX_ID): letter first, then letters, digits, underscores."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9_]{0,127}$", var.deployed_index_id))
    error_message = "deployed_index_id must start with a letter and contain only letters, digits and underscores."
  }
}

variable "machine_type" {
  description = "Replica machine type; e2-standard-2 only with SHARD_SIZE_SMALL."
  type        = string
  default     = "e2-standard-2"
}

variable "min_replica_count" {
  description = "Replicas always running (billed 24/7). 1 is cheapest but has no SLA; use 2 for prod."
  type        = number
  default     = 1

  validation {
    condition     = var.min_replica_count >= 1
    error_message = "min_replica_count must be at least 1 (deployed indexes never scale to zero)."
  }
}

variable "max_replica_count" {
  description = "Upper bound of autoscaling under load."
  type        = number
  default     = 2
}

variable "labels" {
  description = "Labels on the index and endpoint."
  type        = map(string)
  default     = {}
}

variable "index_timeout" {
  description = "Terraform timeout for creating, updating or deleting the index and undeploying it."
  type        = string
  default     = "60m"
}

variable "deploy_timeout" {
  description = "Terraform timeout for deploying the index on the endpoint (Google: 30-60 minutes)."
  type        = string
  default     = "120m"
}
