#pragma once
// The one coordinator loop: fill the workers' free slots from a job source, collect their events,
// commit them to the index in batches, report progress. It does not know whether workers are
// threads or MPI ranks.
#include "db/store.hpp"
#include "scheduler/job_source.hpp"
#include "worker/worker_pool.hpp"

#include <atomic>
#include <functional>

namespace sr {

struct Progress {
    std::size_t total = 0;  // jobs this run set out to do
    std::size_t done = 0, failed = 0, running = 0;
    double elapsed_seconds = 0;
};

struct CoordinatorOptions {
    const std::atomic<bool>* stop_requested = nullptr;  // set by SIGINT/SIGTERM
    std::function<void(const Progress&, bool final)> on_progress;
    // Outcomes per transaction at most. Every commit waits for an fsync, so with jobs of a few
    // microseconds small batches make the disk the limit; commit_interval still bounds how long an
    // outcome waits.
    std::size_t commit_batch = 2048;
    std::chrono::milliseconds commit_interval{200};
};

struct RunSummary {
    std::size_t done = 0, failed = 0, interrupted = 0;
    bool stopped = false;  // a stop request, or a fault of the environment, ended the run early
    std::string fault;     // that fault (a worker reported a job interrupted unasked: a full disk)
};

RunSummary coordinate(JobSource& source, std::size_t total_jobs, WorkerPool& pool, Store& store,
                      std::int64_t sweep_id, const CoordinatorOptions& options);

}  // namespace sr
