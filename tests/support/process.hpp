#pragma once
// Running the sweep_runner binary (directly or under mpirun) from tests: capture its output and
// exit code, or start it in the background to signal it mid-run.
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <sys/types.h>

namespace sr::testing {

struct ProcessResult {
    int exit_code = -1;  // 128 + signal when killed by a signal
    std::string out;
    std::string err;
};

// Runs argv to completion (in `cwd` if given).
ProcessResult run_process(const std::vector<std::string>& argv, const std::filesystem::path& cwd = {});

// Starts argv in its own process group with output to files in `log_dir`; returns the pid.
pid_t start_process(const std::vector<std::string>& argv, const std::filesystem::path& log_dir,
                    const std::filesystem::path& cwd = {});
// Waits for a started process; returns its exit code (128 + signal when killed).
int wait_process(pid_t pid);
// Sends a signal to the whole process group of a started process.
void signal_group(pid_t pid, int signal);

// The CLI binary under test and the repository root.
std::string binary();
std::filesystem::path source_dir();
// mpirun argv prefix: {"mpirun", "--oversubscribe", "-n", N} (Open MPI's root permission comes from
// the environment, set by mpi_environment()).
std::vector<std::string> mpirun(int ranks);
void mpi_environment();
bool have_mpirun();

// A fresh temporary folder, removed when the object goes out of scope.
class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

void write_file(const std::filesystem::path& path, const std::string& text);

}  // namespace sr::testing
