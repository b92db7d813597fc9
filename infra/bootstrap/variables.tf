variable "project_id" {
  description = "Project of the pipelines: the deployer account, the triggers and the state bucket (a CI project, or one of the environments' projects)."
  type        = string
}

variable "region" {
  description = "Cloud Build location of the triggers; global suits GitHub App (1st gen) connections, a region needs a 2nd gen repository connection."
  type        = string
  default     = "global"
}

variable "state_bucket" {
  description = "Existing, versioned GCS bucket holding Terraform state and the published plans (created in bootstrap step 2)."
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
  description = "One pipeline per env folder under infra/envs: the project it deploys into (one per environment is the default), its Firestore database (a named one when two environments share a project), what starts it and whether a person must approve the published plan before it is applied."
  type = map(object({
    project_id         = string
    firestore_database = optional(string, "(default)")
    branch_pattern     = optional(string)
    tag_pattern        = optional(string)
    approval_required  = bool
  }))

  validation {
    condition     = alltrue([for e in values(var.environments) : (e.branch_pattern == null) != (e.tag_pattern == null)])
    error_message = "Each environment sets exactly one of branch_pattern and tag_pattern."
  }

  validation {
    condition     = try(var.environments["prod"].approval_required, true)
    error_message = "prod must require approval."
  }

  validation {
    condition     = length(distinct([for e in values(var.environments) : "${e.project_id}/${e.firestore_database}"])) == length(var.environments)
    error_message = "Two environments share a project and a Firestore database: give each its own project, or a named firestore_database (e.g. hs-prod) to all but one."
  }
}
