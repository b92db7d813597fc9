# The console's runtime config (console/src/config.ts reads it as config.json beside
# index.html), and the origin the functions must allow.

locals {
  # https://<site>.web.app, without a trailing slash: an origin as browsers send it.
  origin = trimsuffix(google_firebase_hosting_site.console.default_url, "/")

  config = {
    auth     = "firebase"
    apiUrl   = var.api_url
    tenantId = var.identity_platform_tenant
    firebase = {
      apiKey     = data.google_firebase_web_app_config.console.api_key
      authDomain = data.google_firebase_web_app_config.console.auth_domain
      projectId  = var.project_id
      appId      = google_firebase_web_app.console.app_id
    }
  }
}
