#pragma once
// Housekeeping on an index: check payloads against their recorded checksums, put jobs back to
// pending, and delete what retired jobs left on disk. The caller holds the index's write lock.
#include "db/store.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sr {

struct VerifyReport {
    std::int64_t checked = 0, missing = 0, corrupt = 0;
    std::vector<std::string> reset_keys;  // back to pending: the next run redoes them
};

// Every done, current job of the sweep ("" = all sweeps) that has a payload: the file must exist
// and have the SHA-256 recorded when it was written. A job whose payload is missing or differs is
// put back to pending (its metrics cleared, the reason in `error`).
VerifyReport verify_payloads(Store& store, const std::string& sweep);

// Puts the given jobs of a sweep back to pending (metrics, error and payload path cleared; the
// attempts stay counted). Returns how many rows changed.
std::int64_t reset_jobs(Store& store, const std::string& sweep, const std::vector<std::string>& keys);

struct GcReport {
    std::int64_t payloads = 0, folders = 0;
    std::uintmax_t bytes = 0;
};

// Deletes the payloads and job folders (OUT/<sweep>/<xx>/<key>/) of retired jobs and forgets their
// payload paths; the rows stay (their parameters and metrics remain queryable in SQL).
GcReport collect_garbage(Store& store, const std::string& sweep);

}  // namespace sr
