// End-to-end harness (see harness.hpp).
#include "harness.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <catch2/catch.hpp>
#include <librdkafka/rdkafka.h>

#include "core/indicator_row.hpp"
#include "indicators/table_columns.hpp"
#include "pg/dsn.hpp"
#include "pg/migrations.hpp"
#include "support/env.hpp"

namespace finstream::e2e {

process::process(std::vector<std::string> args, std::string log_path,
                 std::vector<std::pair<std::string, std::string>> env, std::string program)
    : log_path_(std::move(log_path)) {
  if (program.empty()) program = test::binary();
  std::vector<std::string> argv_s{program};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_ = ::fork();
  REQUIRE(pid_ >= 0);
  if (pid_ == 0) {
    // Dies with the test process, even when that one is killed without unwinding.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::close(fd);
    }
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    for (const auto& [k, v] : env)
      ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> argv;
    for (auto& a : argv_s)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "exec %s: %s\n", argv[0], std::strerror(errno));
    ::_exit(127);
  }
}

process::~process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds{10});
  }
}

bool process::running() {
  if (status_) return false;
  int st = 0;
  auto r = ::waitpid(pid_, &st, WNOHANG);
  if (r == 0) return true;
  if (r == pid_)
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  else
    status_ = -1;
  return false;
}

std::optional<int> process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return status_;
}

void process::signal(int sig) {
  if (running()) ::kill(pid_, sig);
}

std::string process::log() const {
  std::ifstream in{log_path_};
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

long process::peak_rss_kib() const {
  std::ifstream in{"/proc/" + std::to_string(pid_) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  return 0;
}

std::optional<int> process::metrics_port(std::chrono::milliseconds timeout) {
  static const std::regex re{"event=started .*metrics_port=([0-9]+)"};
  std::optional<int> port;
  wait_until(
      [&] {
        std::smatch m;
        auto text = log();
        if (std::regex_search(text, m, re)) port = std::stoi(m[1]);
        return port.has_value() || !running();
      },
      timeout);
  return port;
}

bool wait_until(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (cond()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
}

test_database::test_database(const std::string& prefix)
    : test_database(prefix, test::pg_dsn()) {}

test_database::test_database(const std::string& prefix, const std::string& admin_dsn)
    : name_(test::unique_name(prefix))
    , admin_dsn_(admin_dsn) {
  pg::connection admin{admin_dsn_};
  admin.exec("CREATE DATABASE " + name_);
  dsn_ = pg::dsn_with(admin_dsn_, {{"dbname", name_}});
  // The schema exists from the start, so that the test can watch the tables while the processes
  // it starts are still coming up (they migrate too: a no-op then).
  pg::connection conn{dsn_};
  pg::migrate(conn);
}

test_database::~test_database() {
  try {
    pg::connection admin{admin_dsn_};
    admin.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception&) {
  }
}

long long test_database::scalar(const std::string& sql) const {
  auto c = connect();
  auto r = c.exec(sql);
  return r.is_null(0, 0) ? 0 : std::stoll(r.str(0, 0));
}

kafka_names::kafka_names(const std::string& prefix) {
  auto base = test::unique_name(prefix);
  task_topic = base + "_tasks";
  data_topic = base + "_bars";
  agent_group = base + "_agents";
  processor_group = base + "_processors";
}

std::vector<std::string> kafka_names::flags(int partitions) const {
  return {"--kafka",           test::kafka_bootstrap(),
          "--task-topic",      task_topic,
          "--data-topic",      data_topic,
          "--agent-group",     agent_group,
          "--processor-group", processor_group,
          "--partitions",      std::to_string(partitions)};
}

scratch_area::scratch_area(const std::string& prefix) {
  auto dir = std::filesystem::temp_directory_path() / test::unique_name("finstream_e2e_" + prefix);
  std::filesystem::create_directories(dir);
  path_ = dir.string();
}

scratch_area::~scratch_area() {
  if (std::uncaught_exceptions() > 0) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

double to_double(const std::string& s) {
  if (s.empty()) return std::nan("");
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  REQUIRE(end == s.c_str() + s.size());
  return v;
}

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else if (c != '\r') {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

bool same(double a, double b) {
  return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0;
}

std::map<std::pair<std::string, std::string>, stored_row> read_table(const std::string& dsn,
                                                                     const std::string& spec) {
  std::string cols = "symbol, date::text, open, high, low, close, volume";
  const auto set = spec.empty() ? indicators::indicator_set::default_set()
                                : indicators::indicator_set::parse(spec);
  for (const auto& c : indicators::table_columns(set))
    cols += ", " + c;
  pg::connection c{dsn};
  auto r = c.exec("SELECT " + cols + " FROM technical_indicators");
  std::map<std::pair<std::string, std::string>, stored_row> out;
  for (int i = 0; i < r.rows(); ++i) {
    stored_row row;
    for (int j = 2; j < r.columns(); ++j)
      row.push_back(r.is_null(i, j) ? std::nan("") : to_double(r.str(i, j)));
    out[{r.str(i, 0), r.str(i, 1)}] = std::move(row);
  }
  return out;
}

std::pair<int, std::string> run_to_end(std::vector<std::string> args, const std::string& log_path,
                                       std::chrono::milliseconds timeout) {
  process p{std::move(args), log_path};
  auto code = p.wait(timeout);
  if (!code) FAIL("timed out: " << log_path << "\n" << p.log());
  return {*code, p.log()};
}

std::map<std::string, stored_row> expected_rows(const std::string& csv_path,
                                                const std::string& workdir,
                                                const std::string& spec) {
  auto out_path = csv_path + ".indicators.csv";
  const auto set = spec.empty() ? indicators::indicator_set::default_set()
                                : indicators::indicator_set::parse(spec);
  auto [code, log] = run_to_end(
      {"indicators", "--input", csv_path, "--output", out_path, "--indicators", set.spec()},
      workdir + "/indicators.log");
  INFO(log);
  REQUIRE(code == 0);
  std::ifstream in{out_path};
  std::string line;
  REQUIRE(std::getline(in, line));
  auto header = split_csv(line);
  REQUIRE(header.size() == 6 + set.output_count());
  REQUIRE(header[0] == "date");
  std::map<std::string, stored_row> rows;
  while (std::getline(in, line)) {
    auto cells = split_csv(line);
    REQUIRE(cells.size() == header.size());
    stored_row row;
    for (std::size_t j = 1; j < cells.size(); ++j)
      row.push_back(to_double(cells[j]));
    rows[cells[0]] = std::move(row);
  }
  return rows;
}

std::map<std::string, std::string> fetch_csvs(const std::vector<std::string>& symbols,
                                              const std::string& from, const std::string& to,
                                              const std::string& source, const std::string& dir,
                                              const std::vector<std::string>& extra) {
  std::map<std::string, std::string> out;
  for (const auto& s : symbols) {
    auto path = dir + "/" + s + ".csv";
    std::vector<std::string> args{"fetch", s,          "--from", from,       "--to",
                                  to,      "--source", source,   "--output", path};
    args.insert(args.end(), extra.begin(), extra.end());
    auto [code, log] = run_to_end(args, dir + "/fetch-" + s + ".log");
    INFO(log);
    REQUIRE(code == 0);
    out[s] = path;
  }
  return out;
}

void require_table_equals_indicators(const std::string& dsn,
                                     const std::map<std::string, std::string>& csv_by_symbol,
                                     const std::string& workdir, const std::string& spec,
                                     bool adj_close) {
  auto table = read_table(dsn, spec);
  // adj_close is stored but not an output of `finstream indicators`: compared with the fetched
  // bars themselves (an empty field: the source's was broken, stored NULL).
  std::map<std::pair<std::string, std::string>, double> adj;
  {
    pg::connection c{dsn};
    auto r = c.exec("SELECT symbol, date::text, adj_close FROM technical_indicators");
    for (int i = 0; i < r.rows(); ++i)
      adj[{r.str(i, 0), r.str(i, 1)}] = r.is_null(i, 2) ? std::nan("") : to_double(r.str(i, 2));
  }
  std::size_t expected_total = 0;
  for (const auto& [symbol, csv] : csv_by_symbol) {
    if (adj_close) {
      std::ifstream in{csv};
      std::string line;
      REQUIRE(std::getline(in, line));
      const auto header = split_csv(line);
      const auto col = std::find(header.begin(), header.end(), "adj_close");
      // A fetch CSV (symbol,date,...,adj_close,...); other inputs (plain OHLCV) have none.
      if (col != header.end() && header.size() > 2 && header[0] == "symbol" &&
          header[1] == "date") {
        const auto j = static_cast<std::size_t>(col - header.begin());
        while (std::getline(in, line)) {
          const auto cells = split_csv(line);
          REQUIRE(cells.size() == header.size());
          const double want = cells[j].empty() ? std::nan("") : to_double(cells[j]);
          auto it = adj.find({cells[0], cells[1]});
          INFO(cells[0] << " " << cells[1] << " adj_close");
          REQUIRE(it != adj.end());
          INFO("table " << it->second << " vs fetched " << want);
          REQUIRE(same(it->second, want));
        }
      }
    }
    auto expected = expected_rows(csv, workdir, spec);
    expected_total += expected.size();
    for (const auto& [date, row] : expected) {
      auto it = table.find({symbol, date});
      INFO(symbol << " " << date);
      REQUIRE(it != table.end());
      REQUIRE(it->second.size() == row.size());
      for (std::size_t j = 0; j < row.size(); ++j) {
        INFO("column " << j << ": table " << it->second[j] << " vs indicators " << row[j]);
        REQUIRE(same(it->second[j], row[j]));
      }
    }
  }
  CHECK(table.size() == expected_total);
}

std::size_t csv_rows(const std::string& path) {
  std::ifstream in{path};
  std::string line;
  std::size_t n = 0;
  while (std::getline(in, line))
    if (!line.empty()) ++n;
  return n > 0 ? n - 1 : 0;
}

int group_members(const std::string& group) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", test::kafka_bootstrap().c_str(), err,
                        sizeof err) != RD_KAFKA_CONF_OK) {
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err); // owns conf when made
  if (rk == nullptr) {
    rd_kafka_conf_destroy(conf);
    return -1;
  }
  const rd_kafka_group_list* list = nullptr;
  int members = -1;
  if (rd_kafka_list_groups(rk, group.c_str(), &list, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    members = list->group_cnt > 0 ? list->groups[0].member_cnt : 0;
    rd_kafka_group_list_destroy(list);
  }
  rd_kafka_destroy(rk);
  return members;
}

std::pair<int, std::string> http_get(int port, const std::string& path) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  try {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::resolver resolver{ioc};
    beast::tcp_stream stream{ioc};
    stream.expires_after(std::chrono::seconds{5});
    stream.connect(resolver.resolve("127.0.0.1", std::to_string(port)));
    http::request<http::empty_body> req{http::verb::get, path, 11};
    req.set(http::field::host, "127.0.0.1");
    http::write(stream, req);
    beast::flat_buffer buf;
    http::response<http::string_body> res;
    http::read(stream, buf, res);
    return {static_cast<int>(res.result_int()), res.body()};
  } catch (const std::exception&) {
    return {0, {}};
  }
}

} // namespace finstream::e2e
