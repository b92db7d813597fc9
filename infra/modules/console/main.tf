# The web console (console/) on Firebase Hosting: its own origin, no load balancer (which would
# cost money at idle). People sign in with Firebase Authentication / Identity Platform; the
# console calls the API Gateway, whose functions allow this origin (HS_CORS_ORIGINS = the
# `origin` output) and answer the preflight the gateway config routes to them.

# The Firebase web app whose config (API key, auth domain) the console signs in with.
resource "google_firebase_web_app" "console" {
  provider = google-beta

  project         = var.project_id
  display_name    = "${var.name_prefix} console"
  deletion_policy = "DELETE"
}

# The web app's public config: the API key here identifies the app to Firebase Auth, it is
# not a secret (Firebase's documentation says so), and it ships in config.json.
data "google_firebase_web_app_config" "console" {
  provider = google-beta

  project    = var.project_id
  web_app_id = google_firebase_web_app.console.app_id
}

# The Hosting site serving build/console at https://<prefix>-console.web.app.
resource "google_firebase_hosting_site" "console" {
  provider = google-beta

  project = var.project_id
  site_id = "${var.name_prefix}-console"
  app_id  = google_firebase_web_app.console.app_id
}
