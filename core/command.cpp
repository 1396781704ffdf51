#include "core/command.hpp"

#include "core/process.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace sr {
namespace {

// An anonymous in-memory file for one output stream: nothing on disk, so a process killed
// mid-command leaves nothing behind.
class MemoryFile {
public:
    explicit MemoryFile(const char* name) : fd_(::memfd_create(name, MFD_CLOEXEC)) {
        if (fd_ < 0) throw std::runtime_error(std::string("memfd_create: ") + std::strerror(errno));
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;
    int fd() const { return fd_; }

    std::string contents() const {
        std::string text;
        char buffer[4096];
        for (off_t offset = 0;;) {
            const ssize_t n = ::pread(fd_, buffer, sizeof buffer, offset);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return text;
            text.append(buffer, static_cast<std::size_t>(n));
            offset += n;
        }
    }

private:
    int fd_;
};

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd) {
    const MemoryFile out("stdout"), err("stderr");
    ProcessSpec spec;
    spec.argv = argv;
    spec.env = environment_with({});
    spec.cwd = cwd.empty() ? std::filesystem::current_path() : cwd;
    spec.stdout_fd = out.fd();
    spec.stderr_fd = err.fd();
    spec.contain = false;  // a launcher (munged, slurmctld) leaves its daemon running
    CommandResult result;
    ProcessResult ran;
    try {
        ran = run_process(spec, nullptr, std::chrono::milliseconds(0));
    } catch (const std::runtime_error& e) {  // not found, not executable, no such folder
        result.exit_code = 127;
        result.err = e.what();
        return result;
    }
    result.exit_code = ran.signaled ? 128 + ran.exit_code : ran.exit_code;
    result.out = out.contents();
    result.err = err.contents();
    return result;
}

}  // namespace sr
