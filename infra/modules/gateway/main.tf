# The public entry: API Gateway serving the repo's OpenAPI description. Each operation names its
# function with `x-hs-function`; this module adds the Google backend extension that routes it to
# that function's URL with an OIDC token signed by the gateway's own service account (the only
# invoker of the HTTP functions). The OpenAPI file stays free of environment-specific values.

locals {
  spec         = yamldecode(file(var.openapi_file))
  is_openapi_3 = can(local.spec.openapi)
  http_methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

  # OpenAPI 2.0: x-google-backend is an object on each operation.
  v2_backends = {
    for name, b in var.backends : name => {
      address          = b.url
      jwt_audience     = b.url
      path_translation = "APPEND_PATH_TO_ADDRESS"
      deadline         = b.deadline_seconds
    }
  }

  # OpenAPI 3.x: backends are declared once at the root, operations refer to them by name.
  v3_backends = {
    for name, b in var.backends : name => {
      address         = b.url
      jwtAudience     = b.url
      pathTranslation = "APPEND_PATH_TO_ADDRESS"
      deadline        = b.deadline_seconds
    }
  }

  # Non-operation keys of a path item (parameters, summary, ...) pass through unchanged.
  passthrough = {
    for path, item in local.spec.paths : path => {
      for key, value in item : key => value if !contains(local.http_methods, key)
    }
  }
  operations = {
    for path, item in local.spec.paths : path => {
      for key, op in item : key => op if contains(local.http_methods, key)
    }
  }

  paths_v2 = {
    for path, ops in local.operations : path => merge(local.passthrough[path], {
      for key, op in ops : key => merge(op, {
        "x-google-backend" = lookup(local.v2_backends, try(op["x-hs-function"], ""), null)
      })
    })
  }
  paths_v3 = {
    for path, ops in local.operations : path => merge(local.passthrough[path], {
      for key, op in ops : key => merge(op, { "x-google-backend" = try(op["x-hs-function"], "") })
    })
  }

  # Each variant is encoded on its own: the two documents have different shapes.
  document = (local.is_openapi_3
    ? yamlencode(merge(local.spec, { paths = local.paths_v3, "x-google-api-management" = { backends = local.v3_backends } }))
    : yamlencode(merge(local.spec, { paths = local.paths_v2 }))
  )

  operations_without_backend = flatten([
    for path, ops in local.operations : [
      for key, op in ops : "${upper(key)} ${path}" if !contains(keys(var.backends), try(op["x-hs-function"], ""))
    ]
  ])
}

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
      condition     = length(local.operations_without_backend) == 0
      error_message = "These operations lack an x-hs-function naming a deployed function: ${join(", ", local.operations_without_backend)}."
    }
  }
}

resource "google_api_gateway_gateway" "this" {
  provider = google-beta

  project      = var.project_id
  region       = var.region
  gateway_id   = "${var.name_prefix}-gateway"
  display_name = "${var.name_prefix} gateway"
  api_config   = google_api_gateway_api_config.this.id
  labels       = var.labels
}
