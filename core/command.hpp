#pragma once
// A short helper program run to completion with its output captured (sbatch, squeue, git): argv,
// no shell, stdin from /dev/null. Models' long-running programs use core/models/exec/process.hpp.
#include <filesystem>
#include <string>
#include <vector>

namespace sr {

struct CommandResult {
    int exit_code = -1;  // 127: could not be started; 128 + N: killed by signal N
    std::string out, err;
};

// argv[0] is looked up on PATH. Throws std::runtime_error when no pipe or process can be made.
CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});

}  // namespace sr
