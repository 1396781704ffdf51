#pragma once
// Starting an external program without a shell (fork + execve of an argv vector) in its own process
// group, and waiting for it while polling for cancellation.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace sr {

struct ProcessSpec {
    std::vector<std::string> argv;  // argv[0]: a path (with '/') or a name looked up on PATH
    std::vector<std::string> env;   // "NAME=value", the whole environment of the child
    std::filesystem::path cwd;
    std::filesystem::path stdout_path;
    std::filesystem::path stderr_path;
    // Open descriptors to write to instead of the two files (run_command's in-memory files).
    int stdout_fd = -1;
    int stderr_fd = -1;
    // true (jobs): the program and everything it starts form one process group, killed when the
    // program ends, is stopped or its parent dies. false (short commands such as sbatch or a
    // daemon's launcher): only the program itself is stopped; what it leaves running stays.
    bool contain = true;
};

enum class StopReason { none, timeout, stop_requested };

struct ProcessResult {
    bool signaled = false;  // killed by a signal (exit_code then holds the signal number)
    int exit_code = 0;
    StopReason stopped = StopReason::none;  // we killed it, for this reason
    double seconds = 0;                     // wall time until it ended
    double stopped_after = 0;               // wall time when we began to stop it
};

// Polled every few milliseconds while the program runs; a reason other than `none` stops it:
// SIGTERM to its process group, SIGKILL after `grace`. Whatever the program leaves behind in its
// process group when it ends is killed too. (Without `contain`, both reach the program only.)
// Throws std::runtime_error when the program cannot be started (not found, not executable, bad
// folder).
ProcessResult run_process(const ProcessSpec& spec, const std::function<StopReason()>& should_stop,
                          std::chrono::milliseconds grace);

// Where `name` runs from: a name without '/' looked up on the PATH of `env` ("NAME=value" strings),
// else as given (a relative one resolves in the child's folder). Throws std::runtime_error
// "cannot start 'x': not found on PATH (...)".
std::string program_path(const std::string& name, const std::vector<std::string>& env);

// The environment of this process as "NAME=value" strings with `overrides` set or replaced, less the
// variables by which an MPI launcher identifies a rank (OMPI_COMM_WORLD_*, PMIX_*, PMI_*, ...), so
// that a program using MPI itself runs as its own singleton, not as a rank of the sweep's MPI job.
std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& overrides);

// The last `max_lines` lines (at most `max_bytes` bytes) of a text file; "" when missing.
std::string tail(const std::filesystem::path& path, std::size_t max_lines, std::size_t max_bytes);

}  // namespace sr
