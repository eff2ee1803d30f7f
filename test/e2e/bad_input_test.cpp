// Bad input sweep: malformed flags, config files, universe files and DSNs (empty, binary, huge,
// wrong types), each from the table below, make `finstream run` / `migrate` exit with code 2 and a
// one-line error naming the problem, before any connection is made: no crash, no hang, and no
// password in the output.
#include <catch2/catch.hpp>

#include <fstream>

#include "harness.hpp"

using namespace finstream;
using namespace finstream::e2e;
using namespace std::chrono_literals;

namespace {

// The password planted in every DSN of the table: it must never be printed.
const std::string secret = "Sup3rS3cretPw";

struct bad_input {
  const char* name;
  std::string verb;
  std::vector<std::string> args; // after the verb; "@F" is replaced by the case's file
  std::string file;              // content of the case's file (when "@F" is used)
  std::vector<std::pair<std::string, std::string>> env;
  std::string names; // what the error line must contain
};

std::string binary_bytes() {
  std::string s;
  for (int i = 0; i < 512; ++i)
    s += static_cast<char>((i * 151 + 7) % 256);
  return s;
}

std::string repeat(const std::string& s, std::size_t n) {
  std::string out;
  out.reserve(s.size() * n);
  for (std::size_t i = 0; i < n; ++i)
    out += s;
  return out;
}

// Valid options every `run` case starts from, so that only the case's input is wrong. Nothing
// listens on port 1: a case that got past validation would fail to connect instead of passing.
std::vector<std::string> run_base() {
  return {"--roles",        "manager=1,agent=1,processor=1",
          "--symbols",      "AAPL",
          "--kafka",        "127.0.0.1:1",
          "--metrics-port", "-1"};
}

std::vector<bad_input> table() {
  const auto bin = binary_bytes();
  const auto huge = repeat("x", 4 << 20);
  auto run = [](std::vector<std::string> extra) {
    auto a = run_base();
    a.push_back("--pg");
    a.push_back("host=127.0.0.1 port=1 password=" + secret);
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  return {
      // flags
      {"unknown flag", "run", run({"--bogus", "1"}), "", {}, "--bogus"},
      {"integer flag not a number",
       "run",
       run({"--partitions", "many"}),
       "",
       {},
       "kafka.partitions"},
      {"integer flag out of range", "run", run({"--partitions", "0"}), "", {}, "--partitions"},
      {"integer flag overflowing",
       "run",
       run({"--partitions", "99999999999999999999999"}),
       "",
       {},
       "kafka.partitions"},
      {"port out of range", "run", run({"--metrics-port", "70000"}), "", {}, "--metrics-port"},
      {"empty date", "run", run({"--from", ""}), "", {}, "--from"},
      {"impossible date", "run", run({"--from", "2020-13-45"}), "", {}, "--from"},
      {"range backwards",
       "run",
       run({"--from", "2021-01-01", "--to", "2020-01-01"}),
       "",
       {},
       "--to is before --from"},
      {"binary flag value", "run", run({"--rate", bin.substr(1, 40)}), "", {}, "source.rate"},
      {"negative rate", "run", run({"--rate", "-1"}), "", {}, "--rate"},
      {"simulated clock malformed",
       "run",
       run({"--simulated-clock", "2020-01-01@soon/5"}),
       "",
       {},
       "--simulated-clock"},
      {"roles malformed", "run", run({"--roles", "manager=x"}), "", {}, "roles"},
      {"roles empty", "run", run({"--roles", ""}), "", {}, "roles"},
      {"bad symbol", "run", run({"--symbols", "AAPL,DROP TABLE x"}), "", {}, "--symbols"},
      {"huge symbol list", "run", run({"--symbols", repeat("A", 100000)}), "", {}, "--symbols"},
      {"bad log level", "run", run({"--log-level", "loud"}), "", {}, "log"},
      {"bad environment value",
       "run",
       run({}),
       "",
       {{"FINSTREAM_KAFKA_PARTITIONS", "1e3x"}},
       "kafka.partitions"},
      // config files
      {"config missing",
       "run",
       run({"--config", "/nonexistent/finstream.toml"}),
       "",
       {},
       "config file"},
      {"config is a directory", "run", run({"--config", "/"}), "", {}, "/"},
      {"config binary", "run", run({"--config", "@F"}), bin, {}, ".toml"},
      {"config huge",
       "run",
       run({"--config", "@F"}),
       "x = \"" + huge + "\"\n",
       {},
       "unknown option"},
      {"config unknown key",
       "run",
       run({"--config", "@F"}),
       "[kafka]\nbootstrapp = \"h:1\"\n",
       {},
       "kafka.bootstrapp"},
      {"config wrong type (string for integer)",
       "run",
       run({"--config", "@F"}),
       "[kafka]\npartitions = \"many\"\n",
       {},
       "kafka.partitions"},
      {"config wrong type (array of numbers)",
       "run",
       run({"--config", "@F"}),
       "[universe]\nsymbols = [1, 2]\n",
       {},
       "universe.symbols"},
      {"config wrong type (table)",
       "run",
       run({"--config", "@F"}),
       "[kafka.partitions]\nx = 1\n",
       {},
       "kafka.partitions"},
      {"config syntax error",
       "run",
       run({"--config", "@F"}),
       "[kafka\npartitions = 3\n",
       {},
       ".toml:"},
      // universe files
      {"universe empty",
       "run",
       {"--roles", "manager=1,agent=0,processor=0", "--universe", "@F", "--pg",
        "host=127.0.0.1 port=1", "--metrics-port", "-1"},
       "",
       {},
       "--universe"},
      {"universe binary",
       "run",
       {"--roles", "manager=1,agent=0,processor=0", "--universe", "@F", "--pg",
        "host=127.0.0.1 port=1", "--metrics-port", "-1"},
       bin,
       {},
       "--universe"},
      {"universe huge line",
       "run",
       {"--roles", "manager=1,agent=0,processor=0", "--universe", "@F", "--pg",
        "host=127.0.0.1 port=1", "--metrics-port", "-1"},
       "AAPL\n" + huge + "\n",
       {},
       ":2:"},
      {"universe two symbols a line",
       "run",
       {"--roles", "manager=1,agent=0,processor=0", "--universe", "@F", "--pg",
        "host=127.0.0.1 port=1", "--metrics-port", "-1"},
       "AAPL MSFT\n",
       {},
       ":1: one symbol per line"},
      {"universe missing",
       "run",
       {"--roles", "manager=1,agent=0,processor=0", "--universe", "/nonexistent/u.txt", "--pg",
        "host=127.0.0.1 port=1", "--metrics-port", "-1"},
       "",
       {},
       "/nonexistent/u.txt"},
      // DSNs
      {"dsn unterminated quote",
       "migrate",
       {"--pg", "host='broken password=" + secret},
       "",
       {},
       "connection string"},
      {"dsn uri bad port",
       "migrate",
       {"--pg", "postgresql://u:" + secret + "@h:notaport/db"},
       "",
       {},
       "connection string"},
      {"dsn binary", "migrate", {"--pg", bin.substr(1, 60) + secret}, "", {}, "connection string"},
      {"dsn huge",
       "migrate",
       {"--pg", "password=" + secret + " " + repeat("k", 100000)},
       "",
       {},
       "connection string"},
      {"dsn from env",
       "run",
       run_base(),
       "",
       {{"FINSTREAM_PG", "host='x password=" + secret}},
       "connection string"},
      {"dsn file missing", "migrate", {"--pg-file", "/nonexistent/dsn"}, "", {}, "--pg-file"},
      {"dsn file empty", "migrate", {"--pg-file", "@F"}, "", {}, "is empty"},
      {"dsn file garbage",
       "migrate",
       {"--pg-file", "@F"},
       "password=" + secret + " '\n",
       {},
       "connection string"},
      {"dsn in config wrong type",
       "migrate",
       {"--config", "@F"},
       "[pg]\ndsn = 5432\n",
       {},
       "connection string"},
  };
}

// Output lines other than the error itself: CLI11's hint after a parse error.
bool is_hint(const std::string& line) {
  return line == "Run with --help for more information.";
}

} // namespace

TEST_CASE("bad input: malformed flags, config files, universe files and DSNs exit 2 with a "
          "one-line error naming the problem and no secret",
          "[e2e][bad_input]") {
  scratch_area area{"bad_input"};
  int i = 0;
  for (auto c : table()) {
    ++i;
    SECTION(c.name) {
      auto file = area.path() + "/case" + std::to_string(i) + ".toml";
      {
        std::ofstream out{file, std::ios::binary};
        out << c.file;
      }
      std::vector<std::string> args{c.verb};
      for (auto& a : c.args)
        args.push_back(a == "@F" ? file : a);
      process p{args, area.path() + "/case" + std::to_string(i) + ".log", c.env};
      auto code = p.wait(60s);
      auto log = p.log();
      INFO("case '" << c.name << "' output:\n" << log.substr(0, 2000));
      REQUIRE(code);
      CHECK(*code == 2);
      std::vector<std::string> lines;
      std::size_t pos = 0;
      while (pos < log.size()) {
        auto nl = log.find('\n', pos);
        auto line = log.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? log.size() : nl + 1;
        if (!line.empty() && !is_hint(line)) lines.push_back(line);
      }
      REQUIRE(lines.size() == 1);
      CHECK(lines[0].find(c.names) != std::string::npos);
      CHECK(lines[0].size() < 400);
      CHECK(log.find(secret) == std::string::npos);
    }
  }
}
