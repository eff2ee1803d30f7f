// Sink actor (see sink_actor.hpp).
#include "actors/sink_actor.hpp"

namespace finstream::actors {

sink_actor::behavior_type sink(sink_actor::pointer, std::shared_ptr<engine::batch_writer> writer) {
  return {
      [writer](const engine::commit_request& req) {
        auto reply = writer->write(req);
        reply.session = req.session; // lets the sender recognise a reply that outlived its session
        return reply;
      },
  };
}

} // namespace finstream::actors
