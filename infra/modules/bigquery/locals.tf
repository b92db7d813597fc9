# Table specs and rendered view SQL. Only variables and files are read here, so tests/infra
# evaluates these locals with Terraform itself, offline.

locals {
  table_specs = jsondecode(file("${var.definitions_dir}/tables.json")).tables

  # View SQL keeps `${project}` and `${dataset}` placeholders so the same file serves every
  # environment and the emulator.
  views = {
    for f in fileset("${var.definitions_dir}/views", "*.sql") :
    trimsuffix(f, ".sql") => templatefile("${var.definitions_dir}/views/${f}", {
      project = var.project_id
      dataset = var.dataset_id
    })
  }

  partition_expiration_ms = var.partition_expiration_days == null ? null : var.partition_expiration_days * 86400000
}
