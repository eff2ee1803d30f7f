// libFuzzer target: bar_batch messages on the data topic (kafka/codec decode_bar_batch) and the
// dead-letter path of the ones that fail (the reason header, kafka/dead_letter one_line). A decoded
// batch re-encodes to a message that decodes to the same batch, bit for bit.
// clang-format off
// fuzz-sources: src/kafka/codec.cpp src/kafka/dead_letter.cpp src/kafka/producer.cpp src/kafka/record.cpp src/kafka/config.cpp src/metrics/*.cpp src/core/*.cpp
// fuzz-seeds: test/fuzz/seeds/bar_batch/*
// clang-format on
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/symbol.hpp"
#include "fuzz_check.hpp"
#include "kafka/codec.hpp"
#include "kafka/dead_letter.hpp"

using namespace finstream;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view json{reinterpret_cast<const char*>(data), size};
  auto d = kafka::decode_bar_batch(json);
  if (!d) {
    fuzz::check_one_line(d.error(), "decode error is one line");
    // What the processor sends to the dead-letter topic as the reason header.
    auto header = kafka::one_line(d.error());
    fuzz::check(header.size() <= 1000, "dead-letter reason <= 1000 bytes");
    for (char c : header)
      fuzz::check(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f, "reason header printable");
    return 0;
  }
  const auto& b = d.value();
  fuzz::check(is_valid_symbol(b.symbol), "decoded symbol valid");
  fuzz::check(b.from <= b.to, "decoded from <= to");
  fuzz::check_bars(b.bars);
  fuzz::check(b.error.empty() || (b.bars.empty() && b.last), "error batch: no bars, last chunk");
  auto again = kafka::decode_bar_batch(kafka::encode(b));
  fuzz::check(again.ok(), "re-encoded batch decodes");
  const auto& c = again.value();
  fuzz::check(c.task_id == b.task_id && c.symbol == b.symbol && c.from == b.from && c.to == b.to &&
                  c.seq == b.seq && c.last == b.last && c.complete_through == b.complete_through &&
                  c.bars == b.bars && c.error == b.error && c.permanent == b.permanent &&
                  c.splits.size() == b.splits.size() && c.dividends.size() == b.dividends.size(),
              "batch round trip");
  return 0;
}
