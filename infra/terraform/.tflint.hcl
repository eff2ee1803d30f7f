# tflint for infra/terraform: every rule of the bundled terraform ruleset. The google ruleset plugin
# is not enabled: plugins are downloaded from GitHub, which the test machines cannot reach.
config {
  call_module_type = "none"
}

plugin "terraform" {
  enabled = true
  preset  = "all"
}
