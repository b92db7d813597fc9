variable "project_id" {
  description = "Project the pipelines deploy to (one project per environment is recommended)."
  type        = string
}

variable "region" {
  description = "Cloud Build location of the triggers; global suits GitHub App (1st gen) connections, a region needs a 2nd gen repository connection."
  type        = string
  default     = "global"
}

variable "state_bucket" {
  description = "Existing, versioned GCS bucket holding Terraform state (created in bootstrap step 2)."
  type        = string
}

variable "github_owner" {
  description = "GitHub owner of the repository (the Cloud Build GitHub app must be installed on it)."
  type        = string
}

variable "github_repo" {
  description = "GitHub repository name."
  type        = string
}

variable "environments" {
  description = "One trigger per env folder under infra/envs: what starts it and whether a person must approve it."
  type = map(object({
    branch_pattern    = optional(string)
    tag_pattern       = optional(string)
    approval_required = bool
  }))
  default = {
    dev  = { branch_pattern = "^main$", approval_required = false }
    prod = { tag_pattern = "^v[0-9]+\\.[0-9]+\\.[0-9]+$", approval_required = true }
  }

  validation {
    condition     = alltrue([for e in values(var.environments) : (e.branch_pattern == null) != (e.tag_pattern == null)])
    error_message = "Each environment sets exactly one of branch_pattern and tag_pattern."
  }

  validation {
    condition     = try(var.environments["prod"].approval_required, true)
    error_message = "prod must require approval."
  }
}
