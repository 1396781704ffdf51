#include "db/index_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace sr {
namespace fs = std::filesystem;

IndexLock::IndexLock(const std::filesystem::path& db_path, Mode mode) {
    // The lock belongs to the database file, not to the name it was given by: two runners reaching
    // one database through a symlink or "x/../index.db" must see one lock.
    std::error_code ec;
    fs::path resolved = fs::weakly_canonical(db_path, ec);
    if (ec) resolved = fs::absolute(db_path);
    const std::string path = resolved.string() + ".lock";
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw std::runtime_error(path + ": cannot create lock file");
    if (::flock(fd_, mode == Mode::wait ? LOCK_EX : LOCK_EX | LOCK_NB) != 0) {
        ::close(fd_);
        throw std::runtime_error(mode == Mode::wait
                                     ? path + ": cannot lock"
                                     : db_path.string() + ": another sweep_runner is running on this database");
    }
}

IndexLock::~IndexLock() { ::close(fd_); }

bool IndexLock::held(const std::filesystem::path& db_path) {
    const std::string path = db_path.string() + ".lock";
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;  // no lock file: no run ever took it
    const bool free = ::flock(fd, LOCK_SH | LOCK_NB) == 0;
    ::close(fd);  // releases the probe's shared lock
    return !free;
}

}  // namespace sr
