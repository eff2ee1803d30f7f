// Consumer group lag from committed offsets and watermarks (see group_lag.hpp).
#include "kafka/group_lag.hpp"

#include <memory>

#include "kafka/admin.hpp"
#include "kafka/detail.hpp"

namespace finstream::kafka {

std::vector<partition_lag_row> group_lag(const config& c, const std::string& group,
                                         const std::string& topic,
                                         std::chrono::milliseconds timeout) {
  std::optional<int> partitions;
  {
    admin a{c};
    partitions = a.partition_count(topic, timeout);
  }
  if (!partitions || *partitions <= 0) return {};
  // A consumer handle that never subscribes: committed() asks the group coordinator, which does
  // not make this handle a member of the group.
  detail::event_router router{"status", [](RdKafka::ErrorCode, const std::string&, bool) {}};
  auto conf = detail::make_conf(c, detail::role::consumer, &router);
  detail::set_property(*conf, "group.id", group);
  std::string errstr;
  std::unique_ptr<RdKafka::KafkaConsumer> handle(RdKafka::KafkaConsumer::create(conf.get(), errstr));
  if (!handle) throw error("kafka group lag: cannot create client: " + errstr);
  std::vector<RdKafka::TopicPartition*> tps;
  for (int p = 0; p < *partitions; ++p)
    tps.push_back(RdKafka::TopicPartition::create(topic, p));
  struct cleanup {
    std::vector<RdKafka::TopicPartition*>& tps;
    RdKafka::KafkaConsumer& h;
    ~cleanup() {
      RdKafka::TopicPartition::destroy(tps);
      h.close();
    }
  } guard{tps, *handle};
  const int ms = static_cast<int>(timeout.count());
  auto ec = handle->committed(tps, ms);
  if (ec != RdKafka::ERR_NO_ERROR)
    throw error("kafka group lag: committed offsets of " + group + ": " + detail::describe(ec), ec,
                false);
  std::vector<partition_lag_row> out;
  for (auto* tp : tps) {
    partition_lag_row row;
    row.partition = tp->partition();
    std::int64_t low = 0, high = 0;
    ec = handle->query_watermark_offsets(topic, tp->partition(), &low, &high, ms);
    if (ec != RdKafka::ERR_NO_ERROR)
      throw error("kafka group lag: watermarks of " + topic + "[" +
                      std::to_string(tp->partition()) + "]: " + detail::describe(ec),
                  ec, false);
    row.high = high;
    if (tp->offset() >= 0) row.committed = tp->offset();
    row.lag = high - (row.committed ? *row.committed : low);
    if (row.lag < 0) row.lag = 0;
    out.push_back(row);
  }
  return out;
}

} // namespace finstream::kafka
