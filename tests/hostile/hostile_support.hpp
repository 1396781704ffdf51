#pragma once
// The hostile-input tests run the CLI as an adversarial user would, but inside a box: every child
// gets an address-space, CPU-time and file-size limit and a wall-clock deadline, so that a
// regression (an alias bomb expanding, a FIFO blocking a read) fails the test instead of taking the
// machine or the suite down with it.
#include "../test_util.hpp"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace hostile {
namespace fs = std::filesystem;

inline const std::string binary = SWEEP_RUNNER_BINARY;

struct Limits {
    std::size_t memory_bytes = std::size_t{1} << 30;  // address space
    int cpu_seconds = 30;
    double wall_seconds = 60;
    std::size_t file_bytes = 0;  // largest file the child may write; 0: no limit
    uid_t user = 0;              // run as this user (and group of the same id); 0: as the test runs
};

struct Outcome {
    int exit_code = -1;  // 128 + signal when killed by one
    bool timed_out = false;
    std::string err;  // stderr
    std::string out;  // stdout
};

using TempDir = sr::test::TempDir;

inline void write(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary) << text;
}

inline std::string read(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// Starts `argv` (a program's path, then its arguments) in its own process group under `limits`;
// output goes to files in `log_dir`. Returns the pid.
inline pid_t start_program(std::vector<std::string> argv, const fs::path& log_dir, const Limits& limits = {}) {
    const std::string out = (log_dir / "stdout.txt").string(), err = (log_dir / "stderr.txt").string();
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);
        const rlimit memory{limits.memory_bytes, limits.memory_bytes};
        ::setrlimit(RLIMIT_AS, &memory);
        const rlimit cpu{static_cast<rlim_t>(limits.cpu_seconds), static_cast<rlim_t>(limits.cpu_seconds)};
        ::setrlimit(RLIMIT_CPU, &cpu);
        const rlimit no_core{0, 0};  // the crash tests crash on purpose
        ::setrlimit(RLIMIT_CORE, &no_core);
        if (limits.file_bytes > 0) {
            // A write past the limit then fails with EFBIG (instead of SIGXFSZ killing the process),
            // as a write to a full disk fails with ENOSPC.
            ::signal(SIGXFSZ, SIG_IGN);
            const rlimit file{limits.file_bytes, limits.file_bytes};
            ::setrlimit(RLIMIT_FSIZE, &file);
        }
        const int o = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int e = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (limits.user != 0 && (::setgid(limits.user) != 0 || ::setuid(limits.user) != 0)) ::_exit(126);
        ::dup2(o, 1);
        ::dup2(e, 2);
        std::vector<char*> raw;
        for (std::string& a : argv) raw.push_back(a.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
    }
    return pid;
}

// Starts the CLI with `args`, as start_program.
inline pid_t start(const std::vector<std::string>& args, const fs::path& log_dir, const Limits& limits = {}) {
    std::vector<std::string> argv = {binary};
    argv.insert(argv.end(), args.begin(), args.end());
    return start_program(std::move(argv), log_dir, limits);
}

// Waits for a started child up to `wall_seconds`, then kills its group.
inline Outcome finish(pid_t pid, const fs::path& log_dir, double wall_seconds) {
    Outcome outcome;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(wall_seconds);
    int status = 0;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > deadline) {
            outcome.timed_out = true;
            ::kill(-pid, SIGKILL);
            ::waitpid(pid, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    outcome.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    outcome.out = read(log_dir / "stdout.txt");
    outcome.err = read(log_dir / "stderr.txt");
    return outcome;
}

inline Outcome run(const std::vector<std::string>& args, const fs::path& log_dir, const Limits& limits = {}) {
    return finish(start(args, log_dir, limits), log_dir, limits.wall_seconds);
}

inline Outcome run_program(const std::vector<std::string>& argv, const fs::path& log_dir, const Limits& limits = {}) {
    return finish(start_program(argv, log_dir, limits), log_dir, limits.wall_seconds);
}

}  // namespace hostile
