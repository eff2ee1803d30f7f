# Inputs of the finstream GCP cluster: every variable is typed, described and validated.

variable "project_id" {
  description = "GCP project ID that receives every resource (6-30 chars: lowercase letters, digits, hyphens)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a GCP project ID: 6-30 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "region" {
  description = "GCP region of the subnet and of the Artifact Registry repository."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]$", var.region))
    error_message = "region must look like europe-west1 or us-central1."
  }
}

variable "zone" {
  description = "GCP zone of the machines; must lie in var.region."
  type        = string
  default     = "europe-west1-b"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]-[a-z]$", var.zone))
    error_message = "zone must look like europe-west1-b."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name (network, machines, service account, registry)."
  type        = string
  default     = "finstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,18}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 3-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "admin_cidr" {
  description = "The only source range allowed to reach SSH (22) and the Kubernetes API (6443), e.g. your workstation's IP as 203.0.113.7/32."
  type        = string

  validation {
    condition     = can(cidrhost(var.admin_cidr, 0)) && !contains(["0.0.0.0/0", "::/0"], var.admin_cidr)
    error_message = "admin_cidr must be a valid CIDR and must not be the whole internet (0.0.0.0/0)."
  }
}

variable "subnet_cidr" {
  description = "Primary range of the cluster subnet; node-to-node traffic is allowed only inside it."
  type        = string
  default     = "10.10.0.0/24"

  validation {
    condition     = can(cidrhost(var.subnet_cidr, 0)) && tonumber(split("/", var.subnet_cidr)[1]) <= 28
    error_message = "subnet_cidr must be a valid IPv4 CIDR of /28 or larger."
  }
}

variable "worker_count" {
  description = "Number of worker machines next to the control plane."
  type        = number
  default     = 2

  validation {
    condition     = var.worker_count >= 1 && var.worker_count <= 10 && floor(var.worker_count) == var.worker_count
    error_message = "worker_count must be a whole number from 1 to 10."
  }
}

variable "machine_type" {
  description = "Machine type of the control plane and the workers (e2-medium: 2 vCPU, 4 GB)."
  type        = string
  default     = "e2-medium"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z0-9-]+$", var.machine_type))
    error_message = "machine_type must be a GCE machine type name such as e2-medium or n2-standard-2."
  }
}

variable "boot_disk_size_gb" {
  description = "Boot disk size of every machine, in GB (images, container layers, PostgreSQL and Kafka volumes of the dev overlay)."
  type        = number
  default     = 30

  validation {
    condition     = var.boot_disk_size_gb >= 20 && var.boot_disk_size_gb <= 500
    error_message = "boot_disk_size_gb must be between 20 and 500."
  }
}

variable "boot_disk_type" {
  description = "Boot disk type: pd-balanced (default), pd-standard (cheaper, slower) or pd-ssd."
  type        = string
  default     = "pd-balanced"

  validation {
    condition     = contains(["pd-standard", "pd-balanced", "pd-ssd"], var.boot_disk_type)
    error_message = "boot_disk_type must be pd-standard, pd-balanced or pd-ssd."
  }
}

variable "image" {
  description = "Boot image of every machine. The Ansible roles target Debian 12 (bookworm)."
  type        = string
  default     = "debian-cloud/debian-12"

  validation {
    condition     = length(var.image) > 0
    error_message = "image must not be empty."
  }
}

variable "ssh_user" {
  description = "Login that Ansible uses on the machines; its public key is put in the instance metadata."
  type        = string
  default     = "finstream"

  validation {
    condition     = can(regex("^[a-z_][a-z0-9_-]{0,31}$", var.ssh_user))
    error_message = "ssh_user must be a valid Linux user name."
  }
}

variable "ssh_public_key" {
  description = "OpenSSH public key (one line) allowed to log in as ssh_user."
  type        = string

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/=]+( .*)?$", trimspace(var.ssh_public_key)))
    error_message = "ssh_public_key must be one OpenSSH public key line (ssh-ed25519, ssh-rsa or ecdsa)."
  }
}

variable "registry_id" {
  description = "Artifact Registry repository ID that holds the finstream image."
  type        = string
  default     = "finstream"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.registry_id))
    error_message = "registry_id must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "inventory_path" {
  description = "Where the rendered Ansible inventory is written, relative to this directory."
  type        = string
  default     = "../ansible/inventory/gcp.ini"

  validation {
    condition     = length(var.inventory_path) > 0
    error_message = "inventory_path must not be empty."
  }
}

variable "labels" {
  description = "Labels added to every machine and to the registry (cost reports group by them)."
  type        = map(string)
  default     = { app = "finstream" }

  validation {
    condition     = alltrue([for k, v in var.labels : can(regex("^[a-z][a-z0-9_-]{0,62}$", k)) && can(regex("^[a-z0-9_-]{0,63}$", v))])
    error_message = "labels keys and values must be lowercase letters, digits, underscores or hyphens."
  }
}
