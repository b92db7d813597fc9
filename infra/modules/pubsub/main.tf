# The messages topic (every stored message and session change is published here), the
# dead-letter topic with the subscription that keeps what lands there, and optionally the push
# subscription that delivers events to the ingest function with retries and dead-lettering.
# The push subscription is gated by a plain bool: its endpoint is only known after apply.

# Every stored message and session change; kept for replay (seek).
resource "google_pubsub_topic" "messages" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption by default; set kms_key_name for CMEK. Events carry message text already protected the same way in Firestore.
  project                    = var.project_id
  kms_key_name               = var.kms_key_name
  name                       = var.messages_topic
  message_retention_duration = var.message_retention_duration
  labels                     = var.labels
}

# Events that failed max_delivery_attempts times.
resource "google_pubsub_topic" "dead_letter" {
  #checkov:skip=CKV_GCP_83:Google-managed encryption by default; set kms_key_name for CMEK. Events carry message text already protected the same way in Firestore.
  project                    = var.project_id
  kms_key_name               = var.kms_key_name
  name                       = var.dead_letter_topic
  message_retention_duration = var.message_retention_duration
  labels                     = var.labels
}

# Without a subscription, messages published to the dead-letter topic would be dropped.
resource "google_pubsub_subscription" "dead_letter" {
  project                    = var.project_id
  name                       = var.dead_letter_subscription
  topic                      = google_pubsub_topic.dead_letter.id
  message_retention_duration = var.dead_letter_retention_duration
  retain_acked_messages      = true
  ack_deadline_seconds       = 60
  labels                     = var.labels

  # Never expire for inactivity: nobody pulls from it until something goes wrong.
  expiration_policy {
    ttl = ""
  }
}

# The service agent forwards undeliverable events to the dead-letter topic.
resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  project = var.project_id
  topic   = google_pubsub_topic.dead_letter.name
  role    = "roles/pubsub.publisher"
  member  = var.pubsub_agent
}

# Push delivery to the ingest function with backoff and dead-lettering (pubsub_push mode).
resource "google_pubsub_subscription" "ingest_push" {
  count = var.create_push_subscription ? 1 : 0

  project              = var.project_id
  name                 = var.ingest_subscription
  topic                = google_pubsub_topic.messages.id
  ack_deadline_seconds = var.ack_deadline_seconds
  labels               = var.labels

  push_config {
    push_endpoint = var.push_endpoint

    oidc_token {
      service_account_email = var.push_service_account_email
      audience              = var.push_endpoint
    }
  }

  retry_policy {
    minimum_backoff = var.retry_minimum_backoff
    maximum_backoff = var.retry_maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.dead_letter_publisher]
}

# The service agent must also be able to ack on the source subscription to move a message to the
# dead-letter topic.
resource "google_pubsub_subscription_iam_member" "ingest_push_agent" {
  count = var.create_push_subscription ? 1 : 0

  project      = var.project_id
  subscription = google_pubsub_subscription.ingest_push[0].name
  role         = "roles/pubsub.subscriber"
  member       = var.pubsub_agent
}
