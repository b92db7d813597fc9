output "messages_topic" {
  description = "Short name of the messages topic (HS_MESSAGES_TOPIC)."
  value       = google_pubsub_topic.messages.name
}

output "messages_topic_id" {
  description = "Full resource id of the messages topic (projects/../topics/..)."
  value       = google_pubsub_topic.messages.id
}

output "dead_letter_topic" {
  description = "Short name of the dead-letter topic."
  value       = google_pubsub_topic.dead_letter.name
}

output "dead_letter_subscription" {
  description = "Short name of the dead-letter subscription."
  value       = google_pubsub_subscription.dead_letter.name
}

output "ingest_subscription" {
  description = "Short name of the ingest push subscription, or null when Eventarc delivers."
  value       = one(google_pubsub_subscription.ingest_push[*].name)
}
