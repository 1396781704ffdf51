#include "worker/crash_record.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>

namespace sr {
namespace {

// Read by the signal handler: plain data only (no constructors, no locks, no allocation).
char g_record_path[4096];
thread_local char t_key[80];
thread_local int t_attempts;

void append_number(char* line, std::size_t& n, long value) {
    char digits[24];
    std::size_t k = 0;
    if (value < 0) {
        line[n++] = '-';
        value = -value;
    }
    do {
        digits[k++] = static_cast<char>('0' + value % 10);
        value /= 10;
    } while (value > 0);
    while (k > 0) line[n++] = digits[--k];
}

// Async-signal-safe: open, write, fsync and close only.
extern "C" void on_crash(int signal) {
    if (t_key[0] != '\0') {
        char line[160];
        std::size_t n = 0;
        for (const char* c = t_key; *c != '\0'; ++c) line[n++] = *c;
        line[n++] = ' ';
        append_number(line, n, t_attempts);
        line[n++] = ' ';
        append_number(line, n, signal);
        line[n++] = '\n';
        const int fd = ::open(g_record_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0) {
            [[maybe_unused]] const ssize_t written = ::write(fd, line, n);
            ::fsync(fd);
            ::close(fd);
        }
    }
    // SA_RESETHAND has restored the default action: the signal, raised again or re-triggered by
    // the faulting instruction when the handler returns, ends the process as it would have.
    ::raise(signal);
}

// A stack overflow leaves no stack to run the handler on: each thread that runs jobs gets its own.
struct AlternateStack {
    static constexpr std::size_t size = 64 * 1024;
    std::unique_ptr<char[]> memory;
    AlternateStack() : memory(new char[size]) {
        stack_t stack{};
        stack.ss_sp = memory.get();
        stack.ss_size = size;
        ::sigaltstack(&stack, nullptr);
    }
    ~AlternateStack() {
        stack_t off{};
        off.ss_flags = SS_DISABLE;
        ::sigaltstack(&off, nullptr);
    }
};

void install_handlers(const std::filesystem::path& out_dir) {
    const std::string path = crash_record_path(std::filesystem::absolute(out_dir)).string();
    std::strncpy(g_record_path, path.c_str(), sizeof g_record_path - 1);
    struct sigaction action {};
    action.sa_handler = on_crash;
    action.sa_flags = SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&action.sa_mask);
    for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) ::sigaction(signal, &action, nullptr);
}

}  // namespace

CrashGuard::CrashGuard(const std::filesystem::path& out_dir, const std::string& key, int attempts) {
    static std::once_flag installed;
    std::call_once(installed, [&] { install_handlers(out_dir); });
    thread_local AlternateStack stack;
    std::strncpy(t_key, key.c_str(), sizeof t_key - 1);
    t_attempts = attempts;
}

CrashGuard::~CrashGuard() { t_key[0] = '\0'; }

std::filesystem::path crash_record_path(const std::filesystem::path& out_dir) { return out_dir / ".crashed_jobs"; }

std::map<std::string, CrashRecord> read_crash_records(const std::filesystem::path& out_dir) {
    std::map<std::string, CrashRecord> records;
    std::ifstream in(crash_record_path(out_dir));
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string key;
        CrashRecord record;
        if (fields >> key >> record.attempts >> record.signal) records[key] = record;
    }
    return records;
}

void forget_crash_records(const std::filesystem::path& out_dir, const std::map<std::string, CrashRecord>& handled) {
    const std::filesystem::path path = crash_record_path(out_dir);
    std::ifstream in(path);
    if (!in) return;
    std::string kept, line;
    while (std::getline(in, line)) {
        if (handled.count(line.substr(0, line.find(' '))) == 0) kept += line + '\n';
    }
    in.close();
    std::error_code ec;
    if (kept.empty()) {
        std::filesystem::remove(path, ec);
        return;
    }
    const std::filesystem::path temp = path.string() + ".tmp";
    std::ofstream(temp) << kept;
    std::filesystem::rename(temp, path, ec);
}

}  // namespace sr
