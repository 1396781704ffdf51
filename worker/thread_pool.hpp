#pragma once
// Workers as threads of this process (the default `sweep_runner run`).
#include "core/registry.hpp"
#include "worker/worker_pool.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <mutex>
#include <thread>

namespace sr {

class ThreadPool final : public WorkerPool {
public:
    // `rank` is recorded as provenance (the MPI rank when a worker rank runs its jobs on a thread).
    // Jobs name their model; `models` (the caller's, which outlives the pool) has it.
    ThreadPool(std::size_t threads, std::filesystem::path out_dir, int rank = 0,
               const ModelRegistry& models = builtin_models());
    ~ThreadPool() override;

    std::size_t workers() const override { return threads_.size(); }
    std::size_t free_slots() const override;
    void submit(const PackedJob& job) override;
    PoolEvents poll(std::chrono::milliseconds timeout) override;
    void request_stop() override;

private:
    void work();
    // The cores a job takes here: its cpus, at most all threads.
    std::size_t cores_of(const PackedJob& job) const;
    // Call with mutex_ held.
    bool no_events() const { return events_.started.empty() && events_.finished.empty() && events_.returned.empty(); }

    const ModelRegistry& models_;
    std::filesystem::path out_dir_;
    int rank_;
    std::size_t cores_;  // one per thread, fixed before the threads start
    std::vector<std::thread> threads_;
    mutable std::mutex mutex_;
    std::condition_variable work_ready_;
    std::condition_variable event_ready_;
    std::deque<PackedJob> queue_;
    std::size_t running_ = 0;
    std::size_t cores_in_use_ = 0;  // the cpus of the running jobs; at most one per thread
    double mean_seconds_ = 0.1;  // recent job wall time (moving average): sets the queue depth
    PoolEvents events_;
    bool closing_ = false;
    std::atomic<bool> stop_{false};
};

}  // namespace sr
