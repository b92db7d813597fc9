# dev: cheapest settings, data may be thrown away. The root is root.tf (a link shared by every
# environment); this environment's values are in terraform.tfvars.
terraform {
  backend "gcs" {
    prefix = "env/dev"
  }
}
