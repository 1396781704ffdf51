#pragma once
// A short helper program run to completion with its output captured (sbatch, squeue, git): argv,
// no shell, stdin from /dev/null. It starts through core/process.hpp, the one spawner, which the
// exec model uses directly for its long-running programs.
#include <filesystem>
#include <string>
#include <vector>

namespace sr {

struct CommandResult {
    int exit_code = -1;  // 127: could not be started; 128 + N: killed by signal N
    std::string out, err;
};

// argv[0] is looked up on PATH; one that cannot be started gives 127 with the reason in `err`.
// Throws std::runtime_error when no pipe, process or in-memory output file can be made.
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});

}  // namespace sr
