# dev: cheapest settings; data may be thrown away. project_id (and firestore_database when dev
# shares a project) come from the trigger at plan time.
env = "dev"

settings = {
  vector_backend            = "firestore" # no Vector Search replicas to pay for
  vector_min_replicas       = 1
  vector_max_replicas       = 1
  deletion_protection       = false
  partition_expiration_days = 30
  session_retention_days    = 30 # messages older than 30 days and sessions idle 30 days are deleted
  log_level                 = "DEBUG"
  function_overrides        = { chat = { max_instances = 5 } }
  extra_env                 = {}
}
