#pragma once
// A job that crashes its worker (a segfault, an abort, a stack overflow in a model or a library)
// takes the whole process with it: every thread's job in thread mode, the MPI job under mpirun. So
// that the next run does not start the same job again and crash again, the crash is written down
// as it happens, from the signal handler, in OUT/.crashed_jobs: one line per crash with the job's
// key, its attempts before that start and the signal. `run` then records those jobs as failed with
// the signal as the cause (run again only with --retry-failed, like any failure).
#include <filesystem>
#include <map>
#include <string>

namespace sr {

// While it lives, a crash of this thread is recorded against `key`. The first one installs the
// handlers (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) and gives each thread an alternate signal
// stack, so that a stack overflow is recorded too. After recording, the signal does what it would
// have done (the process dies of it).
class CrashGuard {
public:
    CrashGuard(const std::filesystem::path& out_dir, const std::string& key, int attempts);
    ~CrashGuard();
    CrashGuard(const CrashGuard&) = delete;
    CrashGuard& operator=(const CrashGuard&) = delete;
};

struct CrashRecord {
    int attempts = 0;  // the job's attempts before the start that crashed
    int signal = 0;
};

std::filesystem::path crash_record_path(const std::filesystem::path& out_dir);
// The recorded crashes by key (the last one per key); none when there is no record.
std::map<std::string, CrashRecord> read_crash_records(const std::filesystem::path& out_dir);
// Rewrites the record without the crashes of `handled` keys (removes it when none remain).
void forget_crash_records(const std::filesystem::path& out_dir, const std::map<std::string, CrashRecord>& handled);

}  // namespace sr
