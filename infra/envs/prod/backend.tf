# State lives in a pre-existing, versioned GCS bucket given at init time:
#   terraform init -backend-config="bucket=<state bucket>"
# The prefix is the only thing that differs between environment folders.
terraform {
  backend "gcs" {
    prefix = "env/prod"
  }
}
