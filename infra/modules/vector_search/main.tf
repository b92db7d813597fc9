# Vertex AI Vector Search: the index the ingest function upserts message embeddings into
# (streaming updates, so a message is searchable seconds after it is stored), a public index
# endpoint, and the deployed index the search function queries with find_neighbors. Nothing is
# created unless `enabled` (vector_backend = "vertex"): the deployed index bills replicas 24/7.

# The index of message vectors.
resource "google_vertex_ai_index" "this" {
  count = var.enabled ? 1 : 0

  project      = var.project_id
  region       = var.region
  display_name = "${var.name_prefix}-messages"
  description  = "Message embeddings (${var.embedding_model}); datapoint id = message id, restricts tenant/user/session/role, numeric restrict created_at."
  labels       = var.labels

  # STREAM_UPDATE is ForceNew and the default is BATCH_UPDATE: it must be right at creation.
  index_update_method = "STREAM_UPDATE"

  metadata {
    config {
      dimensions                  = var.dimensions
      approximate_neighbors_count = var.approximate_neighbors_count
      distance_measure_type       = var.distance_measure_type
      feature_norm_type           = var.feature_norm_type
      shard_size                  = var.shard_size

      algorithm_config {
        tree_ah_config {
          leaf_node_embedding_count    = var.leaf_node_embedding_count
          leaf_nodes_to_search_percent = var.leaf_nodes_to_search_percent
        }
      }
    }
  }

  timeouts {
    create = var.index_timeout
    update = var.index_timeout
    delete = var.index_timeout
  }
}

# Where queries go.
resource "google_vertex_ai_index_endpoint" "this" {
  #checkov:skip=CKV2_GCP_34:A private endpoint needs VPC peering or Private Service Connect plus VPC egress for every function; the public endpoint still requires IAM (aiplatform.indexEndpoints.queryVectors), held only by the search function.
  count = var.enabled ? 1 : 0

  project      = var.project_id
  region       = var.region
  display_name = "${var.name_prefix}-messages"
  description  = "Public endpoint of the message index; callers authenticate with IAM (aiplatform.indexEndpoints.queryVectors)."
  labels       = var.labels

  # Public: functions reach it without a VPC connector; access is still IAM-checked.
  public_endpoint_enabled = true
}

# The index served on the endpoint by dedicated replicas.
resource "google_vertex_ai_index_endpoint_deployed_index" "this" {
  count = var.enabled ? 1 : 0

  index_endpoint    = google_vertex_ai_index_endpoint.this[0].id
  index             = google_vertex_ai_index.this[0].id
  deployed_index_id = var.deployed_index_id
  display_name      = "${var.name_prefix}-messages"

  # Replicas bill node-hours around the clock and never scale to zero: this is the largest idle
  # cost of an environment (see infra/README.md).
  dedicated_resources {
    min_replica_count = var.min_replica_count
    max_replica_count = var.max_replica_count

    machine_spec {
      machine_type = var.machine_type
    }
  }

  # Deploying takes 30-60 minutes (Google's docs), more than the provider's default; a killed
  # apply would leave the state lock held and the deployment half-recorded.
  timeouts {
    create = var.deploy_timeout
    update = var.deploy_timeout
    delete = var.index_timeout
  }
}
