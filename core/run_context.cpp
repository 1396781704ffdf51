#include "core/run_context.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace sr {

bool RunContext::should_stop() const {
    if (stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed)) return true;
    return deadline_ && Clock::now() >= *deadline_;
}

void RunContext::check_cancelled() const {
    if (stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed)) {
        throw JobCancelled(JobCancelled::Reason::stop_requested, "stopped on request");
    }
    if (deadline_ && Clock::now() >= *deadline_) {
        throw JobCancelled(JobCancelled::Reason::timeout, "exceeded its timeout");
    }
}

std::optional<std::string> RunContext::load_checkpoint() const {
    if (checkpoint_path_.empty()) return std::nullopt;
    std::ifstream in(checkpoint_path_, std::ios::binary);
    if (!in) return std::nullopt;
    checkpoint_used_ = true;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

void RunContext::save_checkpoint(std::string_view state) const {
    if (checkpoint_path_.empty()) return;
    checkpoint_used_ = true;
    namespace fs = std::filesystem;
    fs::create_directories(checkpoint_path_.parent_path());
    const fs::path temp = checkpoint_path_.string() + ".tmp." + std::to_string(::getpid());
    auto fail = [&](const char* what) {
        const std::string reason = std::strerror(errno);
        throw std::runtime_error(temp.string() + ": cannot " + what + " checkpoint: " + reason);
    };
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("create");
    std::size_t written = 0;
    while (written < state.size()) {
        const ssize_t n = ::write(fd, state.data() + written, state.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            ::close(fd);
            fail("write");
        }
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        ::close(fd);
        fail("fsync");
    }
    ::close(fd);
    if (::rename(temp.c_str(), checkpoint_path_.c_str()) != 0) fail("rename");
}

}  // namespace sr
