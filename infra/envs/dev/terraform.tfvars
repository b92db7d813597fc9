# dev: cheapest settings; data may be thrown away. project_id is passed at plan time.
vector_min_replicas       = 1
vector_max_replicas       = 1
partition_expiration_days = 30
session_retention_days    = null # TTL needs the session store to write expires_at first
deletion_protection       = false
api_key_pepper_secret     = "hs-dev-api-key-pepper"
log_level                 = "DEBUG"

function_overrides = {
  chat = { max_instances = 5 }
}
