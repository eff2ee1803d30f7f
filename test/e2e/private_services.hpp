// Test helper: a PostgreSQL cluster and a Kafka broker of one test alone (test/services/*.sh into
// its scratch directory), for tests that stall, stop, restart or cut off a service.
#pragma once

#include <optional>
#include <string>

namespace finstream::e2e {

/// Started on construction, stopped on destruction (also when the start failed half-way). While
/// it lives, FINSTREAM_TEST_PG / FINSTREAM_TEST_KAFKA name them, so test databases and topics go
/// there. `address`: the local address both listen on, and the broker advertises, besides
/// loopback (e.g. a veth end); empty: 127.0.0.1 only.
class private_services {
public:
  explicit private_services(std::string dir, std::string address = {});
  ~private_services();
  private_services(const private_services&) = delete;
  private_services& operator=(const private_services&) = delete;

  /// Immediate stop (a crash: recovery on start), `down_s` seconds down, start on the same port.
  void pg_crash_restart(int down_s);
  /// Broker stopped, `down_s` seconds down, started on the same port and data.
  void kafka_bounce(int down_s);
  /// The server's processes frozen (SIGSTOP) for `seconds`, then thawed. Connections stay open
  /// and silent.
  void pg_stall(int seconds);
  void kafka_stall(int seconds);
  /// host:port of the broker's PLAINTEXT listener, and the PostgreSQL DSN.
  const std::string& kafka() const { return kafka_; }
  const std::string& pg() const { return pg_; }

private:
  void stall(const std::string& pids, int seconds);
  void stop();
  void script(const std::string& verb, bool must = true, int arg = -1);

  std::string dir_;
  std::string address_;
  std::string pg_, kafka_;
  std::optional<std::string> saved_pg_, saved_kafka_;
};

} // namespace finstream::e2e
