#pragma once
// The lock file next to an index (<db>.lock, of the path with symlinks resolved): one writer process
// per index at a time. `run` refuses to start while another holds it; `merge` waits for it.
#include <filesystem>

namespace sr {

class IndexLock {
public:
    enum class Mode { fail_if_held, wait };
    // Throws std::runtime_error naming the database when it cannot be taken.
    IndexLock(const std::filesystem::path& db_path, Mode mode);
    ~IndexLock();
    // Whether a process holds the lock of this index now (a run in progress). Creates nothing.
    static bool held(const std::filesystem::path& db_path);
    IndexLock(const IndexLock&) = delete;
    IndexLock& operator=(const IndexLock&) = delete;

private:
    int fd_ = -1;
};

}  // namespace sr
