#pragma once
// What the coordinator sees of its workers, whether they are threads or MPI ranks: slots to fill,
// jobs to hand out, and events coming back. Only this interface differs between transports.
#include "core/job.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace sr {

struct PoolEvents {
    std::vector<JobStart> started;
    std::vector<JobOutcome> finished;
    std::vector<std::string> returned;  // keys handed back unstarted (after a stop request)
};

// How many jobs one worker should hold (running and queued), given the mean time of its recent jobs:
// at least one running and one prefetched, so it never idles between jobs; when jobs turn out to be
// short, enough to outlast a round trip to the coordinator, which on an oversubscribed node can
// wait several scheduler time slices (a few ms each). The cap bounds how unevenly the last jobs of
// a sweep are spread.
inline int queue_depth_for(double mean_job_seconds) {
    constexpr double min_jobs = 2, max_jobs = 1024, queued_seconds = 0.02;
    return static_cast<int>(std::clamp(queued_seconds / std::max(mean_job_seconds, 1e-9), min_jobs, max_jobs));
}

class WorkerPool {
public:
    virtual ~WorkerPool() = default;
    virtual std::size_t workers() const = 0;
    // Jobs the pool can take now: up to queue_depth_for(recent job time) per worker, running or queued.
    virtual std::size_t free_slots() const = 0;
    virtual void submit(const PackedJob& job) = 0;
    // Waits at most `timeout` for something to happen.
    virtual PoolEvents poll(std::chrono::milliseconds timeout) = 0;
    // Running jobs stop at their next cancellation point; queued jobs come back as `returned`.
    virtual void request_stop() = 0;
};

}  // namespace sr
