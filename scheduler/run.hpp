#pragma once
// `sweep_runner run`: expand and validate the sweep, register it in the index, run what is not yet
// done, and report. Shared by local threads and MPI (rank 0 calls it with its pool).
#include "worker/worker_pool.hpp"

#include <atomic>
#include <filesystem>
#include <optional>
#include <string>

namespace sr {

struct RunRequest {
    std::filesystem::path sweep_file;
    std::filesystem::path db_path;  // default: <out>/index.db
    std::filesystem::path out_dir = "results";
    int retries = 0;
    std::optional<double> timeout_seconds;  // overrides the sweep's `timeout`
    const std::atomic<bool>* stop_requested = nullptr;
    bool quiet = false;  // no progress or summary output
    // The transport (threads or MPI ranks), owned by the caller so that MPI workers are released
    // however the run ends; its workers write payloads under out_dir.
    WorkerPool* pool = nullptr;
};

// Exit codes: 0 every job of the sweep done; 1 some failed; 2 invalid input (nothing written);
// 3 stopped by a signal before the sweep finished.
int run_sweep(const RunRequest& request);

}  // namespace sr
