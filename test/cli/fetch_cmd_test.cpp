// `finstream fetch` end to end: runs the built binary against the standalone yahoo_replay server
// (HTTP and TLS), the synthetic source and a csv:DIR source; checks the CSV, the number of
// requests, the exit codes and the one-line failures.
#include <catch2/catch.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "core/date.hpp"
#include "sources/bar_files.hpp"
#include "support/env.hpp"
#include "support/run_binary.hpp"

extern char** environ;

namespace finstream::test {
namespace {

namespace fs = std::filesystem;

run_result run_fetch(const std::vector<std::string>& args) { return run_binary("fetch", args); }

std::string replay_binary() {
  return (fs::path(binary()).parent_path() / "yahoo_replay").string();
}

/// The standalone replay server as a child process; stopped (SIGTERM) on destruction.
struct replay_process {
  pid_t pid = -1;
  int port = 0;

  explicit replay_process(std::vector<std::string> extra = {}) {
    REQUIRE(fs::exists(replay_binary()));
    std::vector<std::string> args = {replay_binary(), "--port", "0", "--data",
                                     source_dir() + "/test/data/yahoo-chart"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, fds[0]);
    REQUIRE(posix_spawn(&pid, argv[0], &fa, nullptr, argv.data(), environ) == 0);
    posix_spawn_file_actions_destroy(&fa);
    ::close(fds[1]);
    std::string line;
    char c;
    while (::read(fds[0], &c, 1) == 1 && c != '\n')
      line += c;
    ::close(fds[0]);
    port = std::atoi(line.c_str());
    REQUIRE(port > 0);
  }
  ~replay_process() {
    if (pid > 0) {
      ::kill(pid, SIGTERM);
      int st;
      ::waitpid(pid, &st, 0);
    }
  }

  /// GET or POST on the control endpoints.
  std::string control(const std::string& target, const std::string& body = {},
                      bool post = false) const {
    namespace http = boost::beast::http;
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver(ioc);
    boost::beast::tcp_stream stream(ioc);
    stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
    http::request<http::string_body> req{post ? http::verb::post : http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = body;
    req.prepare_payload();
    http::write(stream, req);
    boost::beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return res.body();
  }
  std::string stats() const { return control("/__replay/stats"); }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port); }
};

const char* header = "symbol,date,open,high,low,close,adj_close,volume";

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    out.push_back(l);
  return out;
}

} // namespace

TEST_CASE("fetch: TSLA 2010-2023 from the replay server, exactly the recorded bars in one request",
          "[fetch]") {
  replay_process replay;
  auto r = run_fetch({"TSLA", "--from", "2010-01-01", "--to", "2023-12-31", "--source", "yahoo",
                      "--yahoo-url", replay.url()});
  INFO(r.err);
  REQUIRE(r.code == 0);
  CHECK(lines(r.out).at(0) == header);
  read_report rep;
  const auto got = parse_bar_csv(r.out, "stdout", rep);
  CHECK(rep.rows_skipped == 0);
  CHECK(got.symbol == "TSLA");
  read_report rep2;
  const auto want = read_bar_file(
      source_dir() + "/test/data/yahoo-chart/historical-via-chart-dividends-TSLA-no-dividends.json",
      rep2);
  REQUIRE(want.bars.size() == 3303);
  CHECK(got.bars.size() == 3303);
  CHECK(got.bars == want.bars); // every number reads back exactly
  CHECK(replay.stats() == R"({"requests":1,"connections":1,"by_symbol":{"TSLA":1}})");
}

TEST_CASE("fetch: several symbols sorted, an unknown one fails with its own line", "[fetch]") {
  replay_process replay;
  auto r = run_fetch({"NVDA", "zzzz", "MSFT", "--from", "2021-07-01", "--to", "2021-07-31",
                      "--yahoo-url", replay.url(), "--rate", "50"});
  CHECK(r.code == 1);
  CHECK(r.err == "finstream fetch: ZZZZ: not_found: symbol not found: No data found, symbol may "
                 "be delisted\n");
  auto l = lines(r.out);
  REQUIRE(l.size() == 1 + 21 + 21);
  CHECK(l[0] == header);
  CHECK(l[1].rfind("MSFT,2021-07-01,", 0) == 0);
  CHECK(l[21].rfind("MSFT,2021-07-30,", 0) == 0);
  CHECK(l[22].rfind("NVDA,2021-07-01,", 0) == 0);
  CHECK(l[42].rfind("NVDA,2021-07-30,", 0) == 0);
  CHECK(replay.stats() ==
        R"({"requests":3,"connections":1,"by_symbol":{"MSFT":1,"NVDA":1,"ZZZZ":1}})");
}

TEST_CASE("fetch: transient failures are retried, a permanent one fails the symbol", "[fetch]") {
  replay_process replay({"--script", "MSFT=429:1,500", "--script", "NVDA=422"});
  auto r = run_fetch({"MSFT", "NVDA", "--from", "2021-07-01", "--to", "2021-07-02", "--yahoo-url",
                      replay.url(), "--rate", "50"});
  CHECK(r.code == 1);
  CHECK(r.err.find("finstream fetch: NVDA: bad_request: HTTP 422: Unprocessable Entity") !=
        std::string::npos);
  CHECK(r.err.find("MSFT:") == std::string::npos);
  auto l = lines(r.out);
  REQUIRE(l.size() == 3);
  CHECK(l[1].rfind("MSFT,2021-07-01,", 0) == 0);
  CHECK(replay.stats().find(R"("by_symbol":{"MSFT":3,"NVDA":1})") != std::string::npos);
}

TEST_CASE("fetch: https with --ca-file, without it the certificate is rejected", "[fetch]") {
  const auto dir = fs::temp_directory_path() / unique_name("src_fetch_tls");
  {
    const std::string cmd =
        shell_quote(replay_binary()) + " --make-cert " + shell_quote(dir.string()) + " >/dev/null";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  const std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  replay_process replay({"--tls", cert, key});
  const std::string url = "https://localhost:" + std::to_string(replay.port);
  auto r = run_fetch({"BTC-USD", "--from", "2020-01-01", "--to", "2020-01-03", "--yahoo-url", url,
                      "--ca-file", cert});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(lines(r.out).size() == 4);
  auto bad =
      run_fetch({"BTC-USD", "--from", "2020-01-01", "--to", "2020-01-03", "--yahoo-url", url});
  CHECK(bad.code == 1);
  CHECK(bad.err.find("BTC-USD: network: TLS certificate verification failed for localhost") !=
        std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("fetch: synthetic source is identical across processes, --output and --universe",
          "[fetch]") {
  const auto dir = fs::temp_directory_path() / unique_name("src_fetch_syn");
  fs::create_directories(dir);
  std::ofstream(dir / "universe.txt")
      << "# test universe\nS00001\ns00002  # lower case is fine\n\n";
  const std::string out1 = (dir / "a.csv").string(), out2 = (dir / "b.csv").string();
  auto a = run_fetch({"--universe", (dir / "universe.txt").string(), "--from", "2000-01-01", "--to",
                      "2020-12-31", "--source", "synthetic", "--output", out1});
  auto b = run_fetch({"S00002", "S00001", "--from", "2000-01-01", "--to", "2020-12-31", "--source",
                      "synthetic", "--output", out2});
  REQUIRE(a.code == 0);
  REQUIRE(b.code == 0);
  CHECK(a.out.empty());
  const std::string ta = slurp(out1), tb = slurp(out2);
  CHECK(ta == tb);
  const auto l = lines(ta);
  CHECK(l.size() > 2 * 5000);
  CHECK(l[1].rfind("S00001,2000-01-03,", 0) == 0);
  CHECK(l.back().rfind("S00002,2020-12-31,", 0) == 0);
  fs::remove_all(dir);
}

TEST_CASE("fetch: csv:DIR source", "[fetch]") {
  const auto dir = fs::temp_directory_path() / unique_name("src_fetch_csv");
  fs::create_directories(dir);
  fs::copy_file(source_dir() + "/test/data/yfinance-csv/AET-L-1d-100x-error.csv",
                dir / "AET.L.csv");
  auto r = run_fetch(
      {"AET.L", "--from", "2022-05-01", "--to", "2022-05-31", "--source", "csv:" + dir.string()});
  INFO(r.err);
  CHECK(r.code == 0);
  auto l = lines(r.out);
  REQUIRE(l.size() > 2);
  CHECK(l[1] == "AET.L,2022-05-03,0.14550000429153442,0.14550000429153442,0.14550000429153442,"
                "0.14550000429153442,0.14550000429153442,0");
  auto missing = run_fetch(
      {"MSFT", "--from", "2022-05-01", "--to", "2022-05-31", "--source", "csv:" + dir.string()});
  CHECK(missing.code == 1);
  CHECK(missing.err.find("MSFT: not_found: no file") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("fetch: bad usage exits 2 before any request", "[fetch]") {
  replay_process replay;
  auto bad_symbol = run_fetch({"AAPL", "DROP;TABLE", "--from", "2021-01-01", "--to", "2021-01-31",
                               "--yahoo-url", replay.url()});
  CHECK(bad_symbol.code == 2);
  CHECK(bad_symbol.err.find("contains a character outside") != std::string::npos);
  auto bad_date = run_fetch(
      {"AAPL", "--from", "2021-13-01", "--to", "2021-01-31", "--yahoo-url", replay.url()});
  CHECK(bad_date.code == 2);
  auto reversed = run_fetch(
      {"AAPL", "--from", "2021-02-01", "--to", "2021-01-31", "--yahoo-url", replay.url()});
  CHECK(reversed.code == 2);
  auto bad_source =
      run_fetch({"AAPL", "--from", "2021-01-01", "--to", "2021-01-31", "--source", "bloomberg"});
  CHECK(bad_source.code == 2);
  CHECK(bad_source.err.find("unknown source 'bloomberg'") != std::string::npos);
  auto none = run_fetch({"--from", "2021-01-01", "--to", "2021-01-31"});
  CHECK(none.code == 2);
  CHECK(replay.stats().find(R"("requests":0)") == 1);
}

} // namespace finstream::test
