# prod: Vector Search with an SLA, data kept, warm instances; applied only from an approved,
# published plan (cloudbuild.apply.yaml). Root: root.tf; values: terraform.tfvars.
terraform {
  backend "gcs" {
    prefix = "env/prod"
  }
}
