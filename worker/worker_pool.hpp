#pragma once
// What the coordinator sees of its workers, whether they are threads or MPI ranks: slots to fill,
// jobs to hand out, and events coming back. Only this interface differs between transports.
#include "core/job.hpp"

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

class WorkerPool {
public:
    virtual ~WorkerPool() = default;
    virtual std::size_t workers() const = 0;
    // Jobs the pool can take now: idle workers plus one prefetched job per worker.
    virtual std::size_t free_slots() const = 0;
    virtual void submit(const PackedJob& job) = 0;
    // Waits at most `timeout` for something to happen.
    virtual PoolEvents poll(std::chrono::milliseconds timeout) = 0;
    // Running jobs stop at their next cancellation point; queued jobs come back as `returned`.
    virtual void request_stop() = 0;
};

}  // namespace sr
