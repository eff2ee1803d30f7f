// Registration of the type-ID block declared in messages.hpp.
#include "actors/interfaces.hpp"

namespace finstream::actors {

void add_message_types(caf::actor_system_config& cfg) {
  cfg.add_message_types<caf::id_block::finstream>();
}

} // namespace finstream::actors
