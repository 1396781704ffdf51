#include "core/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>

extern char** environ;

namespace sr {
namespace fs = std::filesystem;
namespace {

// Where the child failed before execve, sent back over a close-on-exec pipe.
struct ChildError {
    int stage;  // 0 chdir, 1 stdin, 2 stdout, 3 stderr, 4 execve
    int error;
};

std::string find_program(const std::string& name, const std::vector<std::string>& env) {
    if (name.find('/') != std::string::npos) return name;  // relative ones resolve in the child's folder
    std::string path = "/usr/local/bin:/usr/bin:/bin";
    for (const std::string& entry : env) {
        if (entry.rfind("PATH=", 0) == 0) path = entry.substr(5);
    }
    std::size_t begin = 0;
    while (begin <= path.size()) {
        std::size_t end = path.find(':', begin);
        if (end == std::string::npos) end = path.size();
        const std::string dir = path.substr(begin, end - begin);
        const fs::path candidate = fs::path(dir.empty() ? "." : dir) / name;
        struct stat st {};
        if (::stat(candidate.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
            return candidate.string();
        }
        begin = end + 1;
    }
    throw std::runtime_error("cannot start '" + name + "': not found on PATH (" + path + ")");
}

bool exited(pid_t pid) {
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
        if (errno != EINTR) return true;
    }
    return info.si_pid == pid;
}

int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) break;
    }
    return status;
}

[[noreturn]] void child_fail(int pipe_fd, int stage) {
    const ChildError e{stage, errno};
    [[maybe_unused]] const ssize_t n = ::write(pipe_fd, &e, sizeof e);
    ::_exit(127);
}

// Variables by which an MPI launcher tells a rank who it is. A program started by a worker rank
// must not inherit them: if it (or a library it loads) initialises MPI, it would try to join the
// sweep's own MPI job as that rank instead of running on its own. User settings (OMPI_MCA_btl...,
// OMPI_ALLOW_RUN_AS_ROOT) stay.
bool launcher_identity(const std::string& name) {
    auto starts = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
    if (starts("PMIX_") || starts("PMI_") || starts("HYDI_")) return true;
    if (!starts("OMPI_")) return false;
    if (starts("OMPI_ALLOW_RUN_AS_ROOT")) return false;
    if (starts("OMPI_MCA_")) {
        return starts("OMPI_MCA_orte_") || starts("OMPI_MCA_ess") || starts("OMPI_MCA_pmix") ||
               name == "OMPI_MCA_initial_wdir" || name == "OMPI_MCA_shmem_RUNTIME_QUERY_hint";
    }
    return true;  // OMPI_COMM_WORLD_RANK, OMPI_FILE_LOCATION, OMPI_UNIVERSE_SIZE, ...
}

}  // namespace

std::string program_path(const std::string& name, const std::vector<std::string>& env) {
    return find_program(name, env);
}

std::vector<std::string> environment_with(const std::vector<std::pair<std::string, std::string>>& overrides) {
    std::map<std::string, std::string> vars;
    std::vector<std::string> order;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        const std::string entry = *e;
        const auto eq = entry.find('=');
        if (eq == std::string::npos) continue;
        const std::string name = entry.substr(0, eq);
        if (launcher_identity(name)) continue;
        if (!vars.count(name)) order.push_back(name);
        vars[name] = entry.substr(eq + 1);
    }
    for (const auto& [name, value] : overrides) {
        if (!vars.count(name)) order.push_back(name);
        vars[name] = value;
    }
    std::vector<std::string> out;
    for (const std::string& name : order) out.push_back(name + "=" + vars[name]);
    return out;
}

std::string tail(const fs::path& path, std::size_t max_lines, std::size_t max_bytes) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    in.seekg(0, std::ios::end);
    const std::streamoff size = in.tellg();
    const std::streamoff start = size > static_cast<std::streamoff>(max_bytes) ? size - static_cast<std::streamoff>(max_bytes) : 0;
    in.seekg(start);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    std::size_t lines = 0;
    std::size_t pos = text.size();
    while (pos > 0) {
        const std::size_t nl = text.rfind('\n', pos - 1);
        if (nl == std::string::npos) break;
        if (++lines == max_lines) return text.substr(nl + 1);
        pos = nl;
    }
    return start > 0 ? "..." + text : text;
}

// The program's parent-death signal reaches only the program itself, not what it started. A
// watchdog process outside the program's group holds the read end of a pipe whose write end only
// this process has: when this process dies, even by SIGKILL, the pipe closes and the watchdog kills
// the whole group, grandchildren included. Released after the program has ended, but before it is
// reaped, so the group id it kills cannot have been reused.
class Watchdog {
public:
    explicit Watchdog(pid_t group) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) return;  // no watchdog: the program still dies with its parent
        watchdog_ = ::fork();
        if (watchdog_ == 0) {
            // Only async-signal-safe calls: this process was forked from a threaded one.
            struct sigaction ignore {};
            ignore.sa_handler = SIG_IGN;
            for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) ::sigaction(sig, &ignore, nullptr);
            const int watch = fds[0];
            if (watch > 3) ::close_range(3, static_cast<unsigned>(watch - 1), 0);
            ::close_range(static_cast<unsigned>(watch + 1), ~0U, 0);
            char byte;
            while (true) {
                const ssize_t n = ::read(watch, &byte, 1);
                if (n == 0 || (n < 0 && errno != EINTR)) break;
            }
            ::killpg(group, SIGKILL);
            ::_exit(0);
        }
        ::close(fds[0]);
        if (watchdog_ < 0) {
            ::close(fds[1]);
            return;
        }
        write_end_ = fds[1];
    }
    ~Watchdog() { release(); }
    // Ends the watchdog (it kills the group once more, harmlessly) and reaps it.
    void release() {
        if (write_end_ < 0) return;
        ::close(std::exchange(write_end_, -1));
        int status = 0;
        while (::waitpid(watchdog_, &status, 0) < 0 && errno == EINTR) {
        }
    }
    Watchdog(const Watchdog&) = delete;
    Watchdog& operator=(const Watchdog&) = delete;

private:
    pid_t watchdog_ = -1;
    int write_end_ = -1;
};

ProcessResult run_process(const ProcessSpec& spec, const std::function<StopReason()>& should_stop,
                          std::chrono::milliseconds grace) {
    using Clock = std::chrono::steady_clock;
    if (spec.argv.empty()) throw std::runtime_error("empty command");
    const std::string program = find_program(spec.argv[0], spec.env);
    std::error_code ec;
    if (!fs::is_directory(spec.cwd, ec)) {
        throw std::runtime_error("cannot start '" + spec.argv[0] + "': working folder '" + spec.cwd.string() +
                                 "' does not exist");
    }

    // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
    std::vector<char*> argv;
    for (const std::string& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const std::string& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const std::string cwd = spec.cwd.string();
    const std::string out_path = spec.stdout_path.string();
    const std::string err_path = spec.stderr_path.string();

    const int max_fd = static_cast<int>(std::min<long>(::sysconf(_SC_OPEN_MAX), 65536));
    int pipe_fds[2];
    if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    if (pipe_fds[1] < 3) {  // a parent started with stdin/stdout closed: keep the report pipe clear of 0-2
        const int moved = ::fcntl(pipe_fds[1], F_DUPFD_CLOEXEC, 3);
        ::close(pipe_fds[1]);
        pipe_fds[1] = moved;
    }
    const pid_t parent = ::getpid();
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int saved = errno;
        ::close(pipe_fds[0]);
        ::close(pipe_fds[1]);
        throw std::runtime_error(std::string("fork: ") + std::strerror(saved));
    }
    if (pid == 0) {
        const int report = pipe_fds[1];
        if (spec.contain) ::setpgid(0, 0);
        // Dies with the worker thread that started it (a killed sweep_runner leaves no orphans).
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(127);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        struct sigaction dfl {};
        dfl.sa_handler = SIG_DFL;
        for (int sig = 1; sig < NSIG; ++sig) {
            if (sig != SIGKILL && sig != SIGSTOP) ::sigaction(sig, &dfl, nullptr);
        }
        if (::chdir(cwd.c_str()) != 0) child_fail(report, 0);
        const int in = ::open("/dev/null", O_RDONLY);
        if (in < 0 || ::dup2(in, 0) < 0) child_fail(report, 1);
        const int out = spec.stdout_fd >= 0 ? spec.stdout_fd : ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0 || ::dup2(out, 1) < 0) child_fail(report, 2);
        const int err = spec.stderr_fd >= 0 ? spec.stderr_fd : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (err < 0 || ::dup2(err, 2) < 0) child_fail(report, 3);
        // Nothing of the parent's (database, other jobs' files) leaks into the program.
        if (::close_range(static_cast<unsigned>(report + 1), ~0U, 0) != 0) {
            for (int fd = report + 1; fd < max_fd; ++fd) ::close(fd);  // kernels before 5.9
        }
        for (int fd = 3; fd < report; ++fd) ::close(fd);
        ::execve(program.c_str(), argv.data(), envp.data());
        child_fail(report, 4);
    }
    std::optional<Watchdog> watchdog;
    if (spec.contain) {
        ::setpgid(pid, pid);  // also from the parent, so that killpg works from the first moment
        watchdog.emplace(pid);
    }
    ::close(pipe_fds[1]);
    ChildError failure{};
    ssize_t n;
    while ((n = ::read(pipe_fds[0], &failure, sizeof failure)) < 0 && errno == EINTR) {
    }
    ::close(pipe_fds[0]);
    if (n == static_cast<ssize_t>(sizeof failure)) {
        if (watchdog) watchdog->release();
        reap(pid);
        static const char* stages[] = {"cannot enter working folder", "cannot open /dev/null",
                                       "cannot create stdout log", "cannot create stderr log", "cannot execute"};
        std::string what = failure.stage >= 0 && failure.stage <= 4 ? stages[failure.stage] : "failed";
        if (failure.stage == 0) what += " '" + cwd + "'";
        if (failure.stage == 4) what += " '" + program + "'";
        throw std::runtime_error("cannot start '" + spec.argv[0] + "': " + what + ": " + std::strerror(failure.error));
    }

    ProcessResult result;
    auto sleep = std::chrono::milliseconds(1);
    while (!exited(pid)) {
        const StopReason reason = should_stop ? should_stop() : StopReason::none;
        if (reason != StopReason::none) {
            result.stopped = reason;
            result.stopped_after = std::chrono::duration<double>(Clock::now() - started).count();
            spec.contain ? ::killpg(pid, SIGTERM) : ::kill(pid, SIGTERM);
            const auto give_up = Clock::now() + grace;
            while (!exited(pid) && Clock::now() < give_up) std::this_thread::sleep_for(std::chrono::milliseconds(10));
            break;
        }
        std::this_thread::sleep_for(sleep);
        sleep = std::min(sleep * 2, std::chrono::milliseconds(20));
    }
    // The leader is a zombie or still running: its pid (= the group id) cannot be reused yet, so this
    // reaches only the program and whatever it left behind.
    if (spec.contain) ::killpg(pid, SIGKILL);
    else if (result.stopped != StopReason::none) ::kill(pid, SIGKILL);
    if (watchdog) watchdog->release();
    const int status = reap(pid);
    result.seconds = std::chrono::duration<double>(Clock::now() - started).count();
    if (WIFSIGNALED(status)) {
        result.signaled = true;
        result.exit_code = WTERMSIG(status);
    } else {
        result.exit_code = WEXITSTATUS(status);
    }
    return result;
}

}  // namespace sr
