// End-to-end: PostgreSQL over TLS with sslmode=verify-full and a CA file (a private server with a
// certificate from a CA made here): finstream connects, and refuses a server its CA did not sign.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <fstream>

#include "harness.hpp"
#include "pg/dsn.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

void sh(const std::string& command) {
  INFO(command);
  REQUIRE(std::system(command.c_str()) == 0);
}

/// A CA (dir/NAME.ca.pem) and, when `server` is set, a server certificate for 127.0.0.1 and
/// localhost signed by it (dir/server.{pem,key}).
void make_ca(const std::string& dir, const std::string& name, bool server) {
  const std::string ca = dir + "/" + name;
  sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj '/CN=" + name + "' -keyout " + ca +
     ".ca.key -out " + ca + ".ca.pem 2>/dev/null");
  if (!server) return;
  sh("openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' -keyout " + dir +
     "/server.key -out " + dir + "/server.csr 2>/dev/null");
  std::ofstream{dir + "/san.ext"} << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  sh("openssl x509 -req -in " + dir + "/server.csr -CA " + ca + ".ca.pem -CAkey " + ca +
     ".ca.key -CAcreateserial -days 2 -extfile " + dir + "/san.ext -out " + dir +
     "/server.pem 2>/dev/null");
}

} // namespace

TEST_CASE("PostgreSQL sslmode=verify-full with a CA file: connects, and refuses another CA's "
          "server",
          "[e2e][pg_tls]") {
  scratch_area area{"pg_tls"};
  auto dir = area.path();
  private_postgres server{dir + "/pg"};
  make_ca(dir, "good", true);
  make_ca(dir, "other", false);
  // The server's key must belong to its user and be private (PostgreSQL refuses it otherwise).
  const auto& data = server.data_dir();
  sh("cp " + dir + "/server.pem " + dir + "/server.key " + data + "/ && chown --reference=" +
     data + " " + data + "/server.pem " + data + "/server.key && chmod 600 " + data +
     "/server.key");
  std::ofstream{data + "/postgresql.conf", std::ios::app}
      << "ssl = on\nssl_cert_file = 'server.pem'\nssl_key_file = 'server.key'\n";
  server.restart();

  const auto verified = pg::dsn_with(
      server.dsn(), {{"sslmode", "verify-full"}, {"sslrootcert", dir + "/good.ca.pem"}});
  auto [code, out] = run_to_end({"migrate", "--pg", verified}, dir + "/migrate.log");
  INFO(out);
  CHECK(code == 0);
  {
    pg::connection c{verified};
    CHECK(c.exec("SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()").str(0, 0) ==
          "true");
  }
  // The same server seen through a CA that did not sign its certificate: refused, and said why.
  const auto wrong_ca = pg::dsn_with(
      server.dsn(), {{"sslmode", "verify-full"}, {"sslrootcert", dir + "/other.ca.pem"},
                     {"connect_timeout", "5"}});
  auto [bad_code, bad_out] =
      run_to_end({"migrate", "--pg", wrong_ca, "--wait", "0"}, dir + "/refused.log");
  INFO(bad_out);
  CHECK(bad_code != 0);
  CHECK(bad_out.find("certificate verify failed") != std::string::npos);
}
