# Rendering of the OpenAPI file for API Gateway. Only variables and files are read here, so
# tests/infra evaluates these locals with Terraform itself, offline.

locals {
  raw = file(var.openapi_file)

  # Placeholders are replaced textually rather than with templatefile(): the file's comments may
  # mention `${...}` themselves, and an unknown name must stay visible to the precondition.
  # "$" and "{" are joined at run time: the escape for a literal one confuses HCL parsers other
  # than Terraform's (checkov, python-hcl2).
  open   = join("", ["$", "{"])
  chunks = split(local.open, local.raw)
  pieces = [
    for c in slice(local.chunks, 1, length(local.chunks)) : {
      name = try(regex("^([a-z0-9]+)_url}", c)[0], null) # "chat" for "chat_url}..."
      text = c
    }
  ]
  rendered = join("", concat([local.chunks[0]], [
    for p in local.pieces : (
      contains(keys(var.backend_urls), coalesce(p.name, "-"))
      ? "${var.backend_urls[p.name]}${substr(p.text, length(p.name) + length("_url}"), -1)}"
      : "${local.open}${p.text}"
    )
  ]))
  unresolved = distinct([
    for p in local.pieces : p.name if p.name != null && !contains(keys(var.backend_urls), coalesce(p.name, "-"))
  ])

  spec         = yamldecode(local.rendered)
  http_methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

  # `security` and `components.securitySchemes` describe the credentials the functions verify
  # themselves (Firebase ID tokens, API keys); left in, the gateway would try to enforce schemes
  # it does not support. `servers` names the local stack. None of them reach the gateway.
  passthrough = {
    for path, item in local.spec.paths : path => {
      for key, value in item : key => value if !contains(local.http_methods, key)
    }
  }
  paths = {
    for path, item in local.spec.paths : path => merge(local.passthrough[path], {
      for key, op in item : key => { for k, v in op : k => v if k != "security" }
      if contains(local.http_methods, key)
    })
  }
  # CORS: before a cross-origin call (the web console on Firebase Hosting) a browser sends an
  # OPTIONS preflight without credentials. API Gateway serves only the operations the document
  # declares, so each path without one gets an OPTIONS operation routed to the function of its
  # other operations, which answers it (shared/cors.py, HS_CORS_ORIGINS). The local gateway
  # routes preflights the same way (emulators/gateway/routes.py).
  served_paths = {
    for path, item in local.paths : path => merge(item, contains(keys(item), "options") ? {} : {
      options = {
        operationId        = "preflight${join("", [for w in regexall("[A-Za-z0-9]+", path) : title(w)])}"
        summary            = "CORS preflight, answered by the function"
        "x-hs-function"    = [for key, op in item : op["x-hs-function"] if contains(local.http_methods, key)][0]
        "x-google-backend" = [for key, op in item : op["x-hs-function"] if contains(local.http_methods, key)][0]
        responses          = { "204" = { description = "The origin's CORS headers, when it is allowed." } }
      }
    })
  }
  components = { for k, v in try(local.spec.components, {}) : k => v if k != "securitySchemes" }
  document = yamlencode(merge(
    { for k, v in local.spec : k => v if !contains(["security", "servers", "components"], k) },
    { paths = local.served_paths },
    length(local.components) == 0 ? {} : { components = local.components },
  ))

  backends_declared = keys(try(local.spec["x-google-api-management"].backends, {}))
  misrouted_operations = flatten([
    for path, item in local.spec.paths : [
      for key, op in item : "${upper(key)} ${path}"
      if contains(local.http_methods, key) && (
        !contains(keys(var.backend_urls), try(op["x-hs-function"], "")) ||
        try(op["x-google-backend"], "") != try(op["x-hs-function"], "") ||
        !contains(local.backends_declared, try(op["x-google-backend"], ""))
      )
    ]
  ])
}
