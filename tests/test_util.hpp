#pragma once
// Helpers shared by the foundation tests: temporary folders, files, and running the CLI binary as a
// child process (fork/exec) with its stdout, stderr and exit status captured.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
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

namespace sr::test {

namespace fs = std::filesystem;

inline const fs::path source_dir() { return SWEEP_RUNNER_SOURCE_DIR; }
inline const fs::path binary() { return SWEEP_RUNNER_BINARY; }

// A fresh folder under $TMPDIR (or /tmp), removed at the end unless SR_KEEP_TEST_DIRS is set.
class TempDir {
public:
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string templ = std::string(base && *base ? base : "/tmp") + "/sr_test_XXXXXX";
        if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = templ;
    }
    ~TempDir() {
        if (std::getenv("SR_KEEP_TEST_DIRS") == nullptr) {
            std::error_code ec;
            fs::remove_all(path_, ec);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }
    fs::path operator/(const std::string& name) const { return path_ / name; }

private:
    fs::path path_;
};

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void write_text(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream out(path, std::ios::binary);
    out << text;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

struct ProcessResult {
    int exit_code = -1;  // -1 when killed by a signal
    int signal = 0;
    std::string out, err;
};

// A running CLI child; stdout and stderr go to files in `log_dir`.
class Child {
public:
    Child(const std::vector<std::string>& args, const fs::path& log_dir, const fs::path& cwd = {})
        : out_(log_dir / ("stdout." + std::to_string(counter()))),
          err_(log_dir / ("stderr." + std::to_string(counter()))) {
        ++counter();
        std::vector<std::string> argv_text;
        argv_text.push_back(binary().string());
        argv_text.insert(argv_text.end(), args.begin(), args.end());
        std::vector<char*> argv;
        for (std::string& a : argv_text) argv.push_back(a.data());
        argv.push_back(nullptr);
        const std::string out_path = out_.string(), err_path = err_.string(), cwd_path = cwd.string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int out_fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int err_fd = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            const int null_fd = ::open("/dev/null", O_RDONLY);
            if (out_fd < 0 || err_fd < 0 || null_fd < 0) ::_exit(120);
            ::dup2(null_fd, 0);
            ::dup2(out_fd, 1);
            ::dup2(err_fd, 2);
            if (!cwd_path.empty() && ::chdir(cwd_path.c_str()) != 0) ::_exit(121);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
    }
    ~Child() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    pid_t pid() const { return pid_; }
    void signal(int sig) const { ::kill(pid_, sig); }

    // Waits for the child (at most `limit`, then SIGKILL and a test failure).
    ProcessResult wait(std::chrono::seconds limit = std::chrono::seconds(60)) {
        ProcessResult r;
        const auto deadline = std::chrono::steady_clock::now() + limit;
        int status = 0;
        while (true) {
            const pid_t done = ::waitpid(pid_, &status, WNOHANG);
            if (done == pid_) break;
            if (std::chrono::steady_clock::now() > deadline) {
                ADD_FAILURE() << "child did not finish within " << limit.count() << " s; killed";
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        pid_ = -1;
        if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
        r.out = read_text(out_);
        r.err = read_text(err_);
        return r;
    }

private:
    static int& counter() {
        static int n = 0;
        return n;
    }
    pid_t pid_ = -1;
    fs::path out_, err_;
};

// Runs the CLI to completion.
inline ProcessResult run_cli(const std::vector<std::string>& args, const fs::path& log_dir,
                             const fs::path& cwd = {}) {
    Child child(args, log_dir, cwd);
    return child.wait();
}

inline std::vector<std::string> split_lines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

}  // namespace sr::test
