# Terraform and provider versions of every root (infra/envs/<env> and infra/bootstrap link
# their versions.tf here), and the providers' defaults from the root's own variables.

terraform {
  required_version = ">= 1.5.0, < 2.0.0"

  # Exact versions: the first `terraform init` records them with their hashes in the root's
  # .terraform.lock.hcl (infra/README.md, "Provider lock"), and tests/infra checks the
  # configuration against this version's schema.
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "7.46.1"
    }
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "7.46.1"
    }
    time = {
      source  = "hashicorp/time"
      version = "0.14.2"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}

