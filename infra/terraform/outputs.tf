# What the next steps need: addresses, the image path, and the Ansible inventory.

output "control_plane_public_ip" {
  description = "Public (static) address of the control plane: SSH and the Kubernetes API (6443)."
  value       = google_compute_address.control_plane.address
}

output "control_plane_internal_ip" {
  description = "Address of the control plane inside the subnet (kubeadm advertise address)."
  value       = google_compute_instance.control_plane.network_interface[0].network_ip
}

output "worker_public_ips" {
  description = "Public addresses of the workers, in index order."
  value       = [for w in google_compute_instance.worker : w.network_interface[0].access_config[0].nat_ip]
}

output "worker_internal_ips" {
  description = "Subnet addresses of the workers, in index order."
  value       = [for w in google_compute_instance.worker : w.network_interface[0].network_ip]
}

output "registry_path" {
  description = "Artifact Registry path to push to: docker/podman push REGISTRY_PATH/finstream:VERSION."
  value       = local.registry_path
}

output "finstream_image" {
  description = "Image name the cluster pulls (tag it with `finstream --version`)."
  value       = "${local.registry_path}/finstream"
}

output "ansible_inventory" {
  description = "The rendered Ansible inventory (also written to var.inventory_path)."
  value       = local_file.ansible_inventory.content
}

output "ansible_inventory_path" {
  description = "Path of the inventory file written for infra/ansible."
  value       = abspath(local_file.ansible_inventory.filename)
}
