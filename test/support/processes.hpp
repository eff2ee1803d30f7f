// Test helper: finding the processes of a server by their working directory (a PostgreSQL
// server's postmaster, backends and workers all run in its data directory).
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace finstream::test {

/// Pids of the live processes whose working directory is `dir` (empty when `dir` does not
/// exist). Reads /proc; processes of other users need the privileges to read their cwd link.
std::vector<pid_t> processes_in(const std::string& dir);

} // namespace finstream::test
