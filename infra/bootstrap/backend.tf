# The state bucket is created by hand first (infra/README.md, step 2) and given at init time:
#   terraform init -backend-config="bucket=<state bucket>"
terraform {
  backend "gcs" {
    prefix = "bootstrap"
  }
}
