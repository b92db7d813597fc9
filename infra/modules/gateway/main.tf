# The public entry: API Gateway serving the repo's OpenAPI description (infra/api/openapi.yaml).
# The file already routes each operation (`x-google-backend: <name>`, equal to its
# `x-hs-function`) to a backend declared under `x-google-api-management.backends`, whose address
# and JWT audience are `${<name>_url}` placeholders. This module fills them with the functions'
# URLs; the gateway then calls each function with an OIDC token signed by its own service account,
# the only invoker of those functions.

# The API: the container of configs and the managed service behind the gateway.
resource "google_api_gateway_api" "this" {
  provider = google-beta

  project      = var.project_id
  api_id       = "${var.name_prefix}-api"
  display_name = "${var.name_prefix} hybrid-sessions API"
  labels       = var.labels
}

# API configs are immutable: every change creates a new config (random suffix after the prefix)
# and the gateway switches to it before the old one is deleted.
resource "google_api_gateway_api_config" "this" {
  provider = google-beta

  project              = var.project_id
  api                  = google_api_gateway_api.this.api_id
  api_config_id_prefix = "${var.name_prefix}-"
  display_name         = "${var.name_prefix} config"
  labels               = var.labels

  openapi_documents {
    document {
      path     = "openapi.yaml"
      contents = base64encode(local.document)
    }
  }

  gateway_config {
    backend_config {
      google_service_account = var.gateway_service_account
    }
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = length(local.unresolved) == 0
      error_message = "The OpenAPI file refers to undeployed backends: ${join(", ", local.unresolved)}."
    }

    precondition {
      condition     = length(local.misrouted_operations) == 0
      error_message = "Each operation needs x-hs-function naming a deployed function, x-google-backend equal to it, and that backend declared under x-google-api-management: ${join(", ", local.misrouted_operations)}."
    }
  }
}

# The public endpoint (https://<default_hostname>) serving the current config.
resource "google_api_gateway_gateway" "this" {
  provider = google-beta

  project      = var.project_id
  region       = var.region
  gateway_id   = "${var.name_prefix}-gateway"
  display_name = "${var.name_prefix} gateway"
  api_config   = google_api_gateway_api_config.this.id
  labels       = var.labels
}
