#include "support/process.hpp"

#include <cstdlib>
#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace sr::testing {
namespace fs = std::filesystem;
namespace {

std::string read_all(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

int decode_status(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
    return -1;
}

}  // namespace

pid_t start_process(const std::vector<std::string>& argv, const fs::path& log_dir, const fs::path& cwd) {
    fs::create_directories(log_dir);
    const std::string out = (log_dir / "stdout").string();
    const std::string err = (log_dir / "stderr").string();
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        setpgid(0, 0);
        if (!cwd.empty() && chdir(cwd.c_str()) != 0) _exit(126);
        const int out_fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int err_fd = open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        const int in_fd = open("/dev/null", O_RDONLY);
        dup2(in_fd, 0);
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        std::vector<char*> args;
        for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        execvp(args[0], args.data());
        _exit(127);
    }
    setpgid(pid, pid);
    return pid;
}

int wait_process(pid_t pid) {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return decode_status(status);
}

void signal_group(pid_t pid, int signal) { kill(-pid, signal); }

ProcessResult run_process(const std::vector<std::string>& argv, const fs::path& cwd) {
    TempDir logs;
    const pid_t pid = start_process(argv, logs.path(), cwd);
    ProcessResult result;
    result.exit_code = wait_process(pid);
    result.out = read_all(logs / "stdout");
    result.err = read_all(logs / "stderr");
    return result;
}

std::string binary() { return SWEEP_RUNNER_BINARY; }
fs::path source_dir() { return SWEEP_RUNNER_SOURCE_DIR; }

void mpi_environment() {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    // Loopback only: keep Open MPI from probing other network interfaces.
    setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
    setenv("OMPI_MCA_oob_tcp_if_include", "lo", 1);
}

std::vector<std::string> mpirun(int ranks) {
    mpi_environment();
    return {"mpirun", "--oversubscribe", "-n", std::to_string(ranks)};
}

bool have_mpirun() { return std::system("command -v mpirun >/dev/null 2>&1") == 0; }

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "sweep_runner_test_XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

void write_file(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

}  // namespace sr::testing
