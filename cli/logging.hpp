#pragma once
// Where the program's diagnostics go (spdlog's default logger, used by every folder): stderr, as
// the bare message by default, so that a terminal and the tests see exactly "error: ...";
// prefixed with the time inside a Slurm job or with --log-timestamps (batch logs need it), with the
// rank under MPI; and, with --log-file, also to a file with time and level. The live progress line
// on a terminal is not a log line and stays outside (scheduler/run.cpp).
#include <string>

namespace sr::cli {

struct LogOptions {
    std::string level = "info";  // trace, debug, info, warn, error, critical, off
    std::string file;            // also append every line here, at info level at least
    bool timestamps = false;     // on stderr (always on inside a Slurm job)
};

// Throws std::invalid_argument for an unknown level or a file that cannot be opened.
void configure_logging(const LogOptions& options);

// Under MPI with several ranks: every line says which rank wrote it.
void set_log_rank(int rank);

}  // namespace sr::cli
