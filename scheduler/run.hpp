#pragma once
// `sweep_runner run`: expand and validate the sweep, register it in the index, run what is not yet
// done, and report. Shared by local threads and MPI (rank 0 calls it with its pool).
#include "worker/worker_pool.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
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
    // Creates the transport once everything is validated; receives the results folder.
    std::function<std::unique_ptr<WorkerPool>(const std::filesystem::path& out_dir)> make_pool;
};

// Exit codes: 0 every job of the sweep done; 1 some failed; 2 invalid input (nothing written);
// 3 stopped by a signal before the sweep finished.
int run_sweep(const RunRequest& request);

}  // namespace sr
