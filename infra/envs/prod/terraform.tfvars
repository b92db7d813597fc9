# prod: an SLA for Vector Search (2 replicas), data kept, warm chat instances.
env = "prod"

settings = {
  vector_backend            = "vertex"
  vector_min_replicas       = 2
  vector_max_replicas       = 4
  deletion_protection       = true
  partition_expiration_days = null
  session_retention_days    = null # keep conversations until a retention period is decided (days)
  log_level                 = "INFO"
  function_overrides = {
    chat     = { min_instances = 1, max_instances = 50 }
    sessions = { min_instances = 1, max_instances = 50 }
    search   = { max_instances = 20 }
    ingest   = { max_instances = 20 }
  }
  # Any other setting of shared/config.py, per function (tests/infra checks the names):
  extra_env = {
    chat = { HS_CONTEXT_MAX_MESSAGES = "30" }
  }
}
