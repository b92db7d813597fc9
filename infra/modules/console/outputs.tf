output "site_id" {
  description = "Firebase Hosting site of the console (firebase deploy --only hosting:<site_id>)."
  value       = google_firebase_hosting_site.console.site_id
}

output "origin" {
  description = "The console's origin: the value of HS_CORS_ORIGINS on the chat, sessions and search functions."
  value       = local.origin
}

output "config_json" {
  description = "config.json to deploy beside index.html: where the API is and how people sign in."
  value       = jsonencode(local.config)
}
