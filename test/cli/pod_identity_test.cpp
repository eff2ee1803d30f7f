// Tests of per-pod role weights (--roles-file) and instance id validation.
#include <catch2/catch.hpp>

#include <cstdio>
#include <fstream>

#include "cli/pod_identity.hpp"
#include "support/env.hpp"

using namespace finstream::cli;

namespace {

settings with_roles(const std::string& roles, const std::string& roles_file) {
  settings s;
  s.set("roles", roles, "flag");
  s.set("roles_file", roles_file, roles_file.empty() ? "default" : "flag");
  return s;
}

std::string write_file(const std::string& content) {
  auto path = "/tmp/" + finstream::test::unique_name("roles");
  std::ofstream{path} << content;
  return path;
}

} // namespace

TEST_CASE("a non-empty roles file replaces --roles") {
  // The downward API writes the annotation's value as is; a trailing newline or quotes from a
  // hand-written file are tolerated.
  auto path = write_file("processor=4\n");
  CHECK(effective_roles(with_roles("processor=2", path)) == "processor=4");
  std::ofstream{path} << "\"manager=0,agent=3\"";
  CHECK(effective_roles(with_roles("processor=2", path)) == "manager=0,agent=3");
  std::remove(path.c_str());
}

TEST_CASE("an empty, blank or missing roles file leaves --roles") {
  auto path = write_file("");
  CHECK(effective_roles(with_roles("processor=2", path)) == "processor=2");
  std::ofstream{path} << " \n";
  CHECK(effective_roles(with_roles("processor=2", path)) == "processor=2");
  std::remove(path.c_str());
  CHECK(effective_roles(with_roles("processor=2", path)) == "processor=2");
  CHECK(effective_roles(with_roles("agent=1", "")) == "agent=1");
}

TEST_CASE("instance ids are pod-name-like strings") {
  CHECK_NOTHROW(validate_instance_id("finstream-compute-0"));
  CHECK_NOTHROW(validate_instance_id("a.b_c-9"));
  CHECK_THROWS_WITH(validate_instance_id(""), Catch::Contains("--instance-id"));
  CHECK_THROWS_WITH(validate_instance_id("pod 1"), Catch::Contains("--instance-id"));
  CHECK_THROWS_WITH(validate_instance_id("x;drop"), Catch::Contains("--instance-id"));
  CHECK_THROWS(validate_instance_id(std::string(201, 'a')));
}
