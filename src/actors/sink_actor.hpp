// The sink actor: a thin shell around a batch_writer (PostgreSQL COPY + upserts in one
// transaction).
#pragma once

#include <memory>

#include "actors/interfaces.hpp"
#include "engine/commit.hpp"

namespace finstream::actors {

/// Spawn detached: write() blocks on database I/O. The writer is owned by the actor.
sink_actor::behavior_type sink(sink_actor::pointer self,
                               std::shared_ptr<engine::batch_writer> writer);

} // namespace finstream::actors
