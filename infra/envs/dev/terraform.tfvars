# dev: cheapest settings; data may be thrown away. project_id is passed at plan time.
vector_min_replicas       = 1
vector_max_replicas       = 1
partition_expiration_days = 30
session_retention_days    = 30 # messages older than 30 days and sessions idle 30 days are deleted
deletion_protection       = false
api_key_pepper_secret     = "hs-dev-api-key-pepper"
page_token_key_secret     = "hs-dev-page-token-key"
log_level                 = "DEBUG"

function_overrides = {
  chat = { max_instances = 5 }
}
