// Typed interfaces of finstream's actors. Each role's logic lives in a plain class (src/engine/);
// these actors only wire messages to it.
#pragma once

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace finstream::actors {

/// Writes processor output to PostgreSQL, one transaction per request, in arrival order.
using sink_actor =
    caf::typed_actor<caf::replies_to<engine::commit_request>::with<engine::commit_reply>>;

/// Plans tasks. With the in-process transport agents pull tasks (get_task); with Kafka the manager
/// publishes them itself. `tick_atom` runs one planning pass (the manager ticks itself).
using manager_actor =
    caf::typed_actor<caf::replies_to<get_task_atom>::with<std::vector<fetch_task>>,
                     caf::replies_to<progress_atom>::with<engine::manager_progress>,
                     caf::reacts_to<caf::tick_atom>>;

/// In-process processor: replies to a bar batch once it is accepted (the reply is the agents'
/// backpressure: it is withheld while the sink is behind); flush_atom replies when everything
/// accepted so far is committed.
using processor_actor =
    caf::typed_actor<caf::replies_to<bar_batch>::with<bool>,
                     caf::replies_to<caf::flush_atom>::with<bool>, caf::reacts_to<caf::tick_atom>,
                     caf::reacts_to<fill_atom>>;

/// In-process agent: `next_atom` makes it ask the manager for its next task.
using agent_actor = caf::typed_actor<caf::reacts_to<next_atom>>;

/// Registers finstream's message types with an actor system configuration.
void add_message_types(caf::actor_system_config& cfg);

} // namespace finstream::actors
