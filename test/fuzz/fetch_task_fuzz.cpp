// libFuzzer target: fetch_task messages on the task topic (kafka/codec decode_fetch_task); a
// decoded task re-encodes to a message that decodes to the same task.
// fuzz-sources: src/kafka/codec.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/fetch_task/*
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/symbol.hpp"
#include "fuzz_check.hpp"
#include "kafka/codec.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view json{reinterpret_cast<const char*>(data), size};
  auto d = kafka::decode_fetch_task(json);
  if (!d) {
    fuzz::check_one_line(d.error(), "decode error is one line");
    return 0;
  }
  const auto& t = d.value();
  fuzz::check(is_valid_symbol(t.symbol), "decoded symbol valid");
  fuzz::check(t.from <= t.to, "decoded from <= to");
  auto again = kafka::decode_fetch_task(kafka::encode(t));
  fuzz::check(again.ok(), "re-encoded task decodes");
  const auto& u = again.value();
  fuzz::check(u.task_id == t.task_id && u.symbol == t.symbol && u.from == t.from && u.to == t.to,
              "task round trip");
  return 0;
}
