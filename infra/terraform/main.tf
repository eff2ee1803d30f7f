# The finstream cluster on GCP: a VPC with one subnet, firewall rules that open SSH and the
# Kubernetes API to the admin CIDR only, one kubeadm control plane and var.worker_count workers
# (each role with its own least-privilege service account), and the Artifact Registry repository
# the cluster pulls the finstream image from.

locals {
  node_tag          = "${var.name_prefix}-node"
  control_plane_tag = "${var.name_prefix}-control-plane"
  worker_tag        = "${var.name_prefix}-worker"
  registry_host     = "${var.region}-docker.pkg.dev"
  registry_path     = "${local.registry_host}/${var.project_id}/${google_artifact_registry_repository.images.repository_id}"
  ssh_metadata      = "${var.ssh_user}:${trimspace(var.ssh_public_key)}"
}

resource "google_project_service" "apis" {
  for_each = toset(["compute.googleapis.com", "artifactregistry.googleapis.com", "iam.googleapis.com"])

  project = var.project_id
  service = each.value
  # Destroying this stack must not switch APIs off for anything else living in the project.
  disable_on_destroy = false
}

# --- network -------------------------------------------------------------------------------------

resource "google_compute_network" "vpc" {
  name                    = "${var.name_prefix}-vpc"
  auto_create_subnetworks = false
  depends_on              = [google_project_service.apis]
}

resource "google_compute_subnetwork" "nodes" {
  name                     = "${var.name_prefix}-nodes"
  network                  = google_compute_network.vpc.id
  region                   = var.region
  ip_cidr_range            = var.subnet_cidr
  private_ip_google_access = true

  log_config {
    aggregation_interval = "INTERVAL_10_MIN"
    flow_sampling        = 0.1
    metadata             = "INCLUDE_ALL_METADATA"
  }
}

# SSH to every node, from the admin CIDR only.
resource "google_compute_firewall" "admin_ssh" {
  name          = "${var.name_prefix}-admin-ssh"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = [var.admin_cidr]
  target_tags   = [local.node_tag]

  allow {
    protocol = "tcp"
    ports    = ["22"]
  }
}

# The Kubernetes API on the control plane, from the admin CIDR only (kubectl, helm, deploy.sh).
resource "google_compute_firewall" "admin_kube_api" {
  name          = "${var.name_prefix}-admin-kube-api"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = [var.admin_cidr]
  target_tags   = [local.control_plane_tag]

  allow {
    protocol = "tcp"
    ports    = ["6443"]
  }
}

# Node-to-node traffic (kubelet, etcd, the CNI's VXLAN, NodePorts, pod traffic) stays inside the subnet.
resource "google_compute_firewall" "internal" {
  name          = "${var.name_prefix}-internal"
  network       = google_compute_network.vpc.id
  direction     = "INGRESS"
  source_ranges = [var.subnet_cidr]
  target_tags   = [local.node_tag]

  allow {
    protocol = "tcp"
  }
  allow {
    protocol = "udp"
  }
  allow {
    protocol = "icmp"
  }
}

# --- service accounts: one per role, allowed only to pull images from this repository --------------

resource "google_service_account" "control_plane" {
  account_id   = "${var.name_prefix}-cp"
  display_name = "finstream control plane node"
  depends_on   = [google_project_service.apis]
}

resource "google_service_account" "worker" {
  account_id   = "${var.name_prefix}-worker"
  display_name = "finstream worker node"
  depends_on   = [google_project_service.apis]
}

resource "google_artifact_registry_repository" "images" {
  # checkov:skip=CKV_GCP_84:Google-managed encryption at rest. A customer key needs a Cloud KMS key ring, which outlives terraform destroy (KMS keys cannot be deleted), and the image holds no secrets.
  repository_id = var.registry_id
  location      = var.region
  format        = "DOCKER"
  description   = "finstream container images"
  labels        = var.labels
  depends_on    = [google_project_service.apis]

  # Untagged layers left behind by re-pushed tags cost storage; drop them after a week.
  cleanup_policies {
    id     = "delete-untagged"
    action = "DELETE"
    condition {
      tag_state  = "UNTAGGED"
      older_than = "604800s"
    }
  }
}

# Read access on this one repository is the only permission the nodes get.
resource "google_artifact_registry_repository_iam_member" "node_pull" {
  for_each = {
    control_plane = google_service_account.control_plane.email
    worker        = google_service_account.worker.email
  }

  project    = var.project_id
  location   = google_artifact_registry_repository.images.location
  repository = google_artifact_registry_repository.images.name
  role       = "roles/artifactregistry.reader"
  member     = "serviceAccount:${each.value}"
}

# --- machines ------------------------------------------------------------------------------------

# A static address keeps the API server certificate (which names it) and the kubeconfig valid across
# machine restarts.
resource "google_compute_address" "control_plane" {
  name       = "${var.name_prefix}-control-plane"
  region     = var.region
  depends_on = [google_project_service.apis]
}

resource "google_compute_instance" "control_plane" {
  # checkov:skip=CKV_GCP_38:Boot disks use Google-managed encryption at rest. Customer-supplied keys must be given again at every start, which unattended node restarts cannot do.
  # checkov:skip=CKV_GCP_40:The operator reaches SSH (Ansible) and the Kubernetes API on this address; the firewall admits only var.admin_cidr. A bastion plus Cloud NAT would add cost and a hop for no gain here.
  name         = "${var.name_prefix}-control-plane"
  machine_type = var.machine_type
  zone         = var.zone
  tags         = [local.node_tag, local.control_plane_tag]
  labels       = merge(var.labels, { role = "control-plane" })

  boot_disk {
    auto_delete = true
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
      type  = var.boot_disk_type
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
    access_config {
      nat_ip = google_compute_address.control_plane.address
    }
  }

  service_account {
    email = google_service_account.control_plane.email
    # Access is limited by IAM (the bindings above), which is Google's recommended way; scopes stay broad.
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    ssh-keys               = local.ssh_metadata
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
    enable-oslogin         = "FALSE"
  }
}

resource "google_compute_instance" "worker" {
  # checkov:skip=CKV_GCP_38:Boot disks use Google-managed encryption at rest. Customer-supplied keys must be given again at every start, which unattended node restarts cannot do.
  # checkov:skip=CKV_GCP_40:Ansible reaches workers over SSH from var.admin_cidr only (firewall), and the address gives egress for packages and images without a paid Cloud NAT.
  count = var.worker_count

  name         = "${var.name_prefix}-worker-${count.index}"
  machine_type = var.machine_type
  zone         = var.zone
  tags         = [local.node_tag, local.worker_tag]
  labels       = merge(var.labels, { role = "worker" })

  boot_disk {
    auto_delete = true
    initialize_params {
      image = var.image
      size  = var.boot_disk_size_gb
      type  = var.boot_disk_type
    }
  }

  network_interface {
    subnetwork = google_compute_subnetwork.nodes.id
    # An ephemeral public address for SSH from the admin CIDR and for pulling packages and images.
    access_config {}
  }

  service_account {
    email  = google_service_account.worker.email
    scopes = ["cloud-platform"]
  }

  shielded_instance_config {
    enable_secure_boot          = true
    enable_vtpm                 = true
    enable_integrity_monitoring = true
  }

  metadata = {
    ssh-keys               = local.ssh_metadata
    block-project-ssh-keys = "true"
    serial-port-enable     = "false"
    enable-oslogin         = "FALSE"
  }
}

# --- the Ansible inventory, rendered from what was created ----------------------------------------

resource "local_file" "ansible_inventory" {
  filename        = "${path.module}/${var.inventory_path}"
  file_permission = "0644"
  content = templatefile("${path.module}/inventory.ini.tftpl", {
    ssh_user = var.ssh_user
    control_plane = {
      name        = google_compute_instance.control_plane.name
      public_ip   = google_compute_address.control_plane.address
      internal_ip = google_compute_instance.control_plane.network_interface[0].network_ip
    }
    workers = [for w in google_compute_instance.worker : {
      name        = w.name
      public_ip   = w.network_interface[0].access_config[0].nat_ip
      internal_ip = w.network_interface[0].network_ip
    }]
    registry_path = local.registry_path
    registry_host = local.registry_host
  })
}
