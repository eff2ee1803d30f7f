// Source error helpers and the source factory (spec string → source kind).
#include "sources/source.hpp"

#include <filesystem>
#include <stdexcept>

#include "sources/csv_source.hpp"
#include "sources/factory.hpp"
#include "sources/synthetic.hpp"
#include "sources/yahoo.hpp"

namespace finstream {

bool is_permanent(fetch_error_kind kind) {
  return kind == fetch_error_kind::not_found || kind == fetch_error_kind::bad_request;
}

const char* to_string(fetch_error_kind kind) {
  switch (kind) {
  case fetch_error_kind::not_found:
    return "not_found";
  case fetch_error_kind::bad_request:
    return "bad_request";
  case fetch_error_kind::throttled:
    return "throttled";
  case fetch_error_kind::server_error:
    return "server_error";
  case fetch_error_kind::timeout:
    return "timeout";
  case fetch_error_kind::garbled:
    return "garbled";
  case fetch_error_kind::network:
    return "network";
  case fetch_error_kind::forbidden:
    return "forbidden";
  }
  return "unknown";
}

struct source_factory::state {
  enum class kind_t { synthetic, csv, yahoo } kind = kind_t::synthetic;
  std::string csv_dir;
  std::shared_ptr<yahoo_shared> yahoo;
  std::function<day_t()> today; // synthetic
};

source_factory::source_factory(source_options options)
    : state_(std::make_shared<state>()) {
  const std::string& spec = options.spec;
  if (spec == "synthetic") {
    state_->kind = state::kind_t::synthetic;
    state_->today = options.today ? options.today : std::function<day_t()>{today_utc};
  } else if (spec.rfind("csv:", 0) == 0) {
    state_->kind = state::kind_t::csv;
    state_->csv_dir = spec.substr(4);
    std::error_code ec;
    if (state_->csv_dir.empty() || !std::filesystem::is_directory(state_->csv_dir, ec))
      throw std::invalid_argument("source '" + spec + "': '" + state_->csv_dir +
                                  "' is not a directory");
  } else if (spec == "yahoo") {
    state_->kind = state::kind_t::yahoo;
    state_->yahoo = make_yahoo_shared(options.yahoo, options.metrics);
  } else {
    throw std::invalid_argument("unknown source '" + spec +
                                "' (expected yahoo, csv:DIR or synthetic)");
  }
}

source_factory::~source_factory() = default;

std::unique_ptr<source> source_factory::make() const {
  switch (state_->kind) {
  case state::kind_t::synthetic:
    return std::make_unique<synthetic_source>(state_->today);
  case state::kind_t::csv:
    return std::make_unique<csv_dir_source>(state_->csv_dir);
  case state::kind_t::yahoo:
    return std::make_unique<yahoo_source>(state_->yahoo);
  }
  return nullptr;
}

const char* source_factory::kind() const {
  switch (state_->kind) {
  case state::kind_t::synthetic:
    return "synthetic";
  case state::kind_t::csv:
    return "csv";
  case state::kind_t::yahoo:
    return "yahoo";
  }
  return "?";
}

std::shared_ptr<host_limits> source_factory::yahoo_limits() const {
  return state_->yahoo ? limits_of(*state_->yahoo) : nullptr;
}

std::unique_ptr<source> make_source(const source_options& options) {
  return source_factory(options).make();
}

} // namespace finstream
