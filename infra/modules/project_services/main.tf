# Enables the Google APIs the system calls. Disabling on destroy is off: other workloads in the
# project may use the same APIs, and re-enabling is slow.
resource "google_project_service" "this" {
  for_each = toset(var.services)

  project                    = var.project_id
  service                    = each.value
  disable_on_destroy         = false
  disable_dependent_services = false
}

# The service agents (Pub/Sub forwards dead letters and signs push tokens, Eventarc creates the
# ingest trigger) exist only once something asks for them: on a fresh project a grant to them or
# a trigger created right after enabling the API fails. Creating the identity also grants the
# agent its service agent role.
resource "google_project_service_identity" "agent" {
  provider = google-beta
  for_each = toset(var.service_agents)

  project = var.project_id
  service = each.value

  depends_on = [google_project_service.this]
}

# Google documents that a new agent's role grant takes up to a few minutes to propagate; the
# agents' emails are read through this wait, so whatever uses them starts after it.
resource "time_sleep" "agents" {
  create_duration = var.propagation_wait

  triggers = { for service, agent in google_project_service_identity.agent : service => agent.email }
}
