#include "worker/thread_pool.hpp"

#include "worker/execute.hpp"

#include <algorithm>

namespace sr {

ThreadPool::ThreadPool(std::size_t threads, std::filesystem::path out_dir, int rank, const ModelRegistry& models)
    : models_(models), out_dir_(std::move(out_dir)), rank_(rank), cores_(std::max<std::size_t>(threads, 1)) {
    for (std::size_t i = 0; i < cores_; ++i) {
        threads_.emplace_back([this] { work(); });
    }
}

ThreadPool::~ThreadPool() {
    {
        std::lock_guard lock(mutex_);
        closing_ = true;
    }
    stop_ = true;
    work_ready_.notify_all();
    for (std::thread& t : threads_) t.join();
}

std::size_t ThreadPool::cores_of(const PackedJob& job) const {
    return std::clamp<std::size_t>(static_cast<std::size_t>(std::max(job.cpus, 1)), 1, cores_);
}

std::size_t ThreadPool::free_slots() const {
    std::lock_guard lock(mutex_);
    const std::size_t capacity = static_cast<std::size_t>(queue_depth_for(mean_seconds_)) * threads_.size();
    const std::size_t busy = queue_.size() + running_;
    return stop_ || busy >= capacity ? 0 : capacity - busy;
}

void ThreadPool::submit(const PackedJob& job) {
    {
        std::lock_guard lock(mutex_);
        queue_.push_back(job);
    }
    work_ready_.notify_one();
}

PoolEvents ThreadPool::poll(std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    event_ready_.wait_for(lock, timeout, [this] { return !no_events(); });
    return std::exchange(events_, {});
}

void ThreadPool::request_stop() {
    {
        std::lock_guard lock(mutex_);
        stop_ = true;
        for (const PackedJob& job : queue_) events_.returned.push_back(job.key);
        queue_.clear();
    }
    event_ready_.notify_all();
}

void ThreadPool::work() {
    const std::string host = hostname();
    while (true) {
        PackedJob job;
        // Only the first event after a poll wakes the poller: it takes all that arrived meanwhile.
        // (Waking it for every event of microsecond jobs cost more than the jobs.)
        bool wake = false;
        {
            std::unique_lock lock(mutex_);
            // Jobs start in queue order, each once its cores are free (the threads are the cores):
            // a 4-core job waits for four idle threads rather than being overtaken forever.
            work_ready_.wait(lock, [this] {
                return closing_ || (!queue_.empty() && cores_in_use_ + cores_of(queue_.front()) <= cores_);
            });
            if (closing_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
            cores_in_use_ += cores_of(job);
            wake = no_events();
            events_.started.push_back({job.key, host, rank_, unix_now(), job.id});
        }
        if (wake) event_ready_.notify_all();
        JobOutcome outcome = execute_job(job, models_, out_dir_, &stop_, rank_);
        {
            std::lock_guard lock(mutex_);
            --running_;
            cores_in_use_ -= cores_of(job);
            mean_seconds_ = 0.8 * mean_seconds_ + 0.2 * outcome.wall_seconds;
            wake = no_events();
            events_.finished.push_back(std::move(outcome));
        }
        if (wake) event_ready_.notify_all();
        if (cores_of(job) > 1) work_ready_.notify_all();  // the cores it held may start the next job
    }
}

}  // namespace sr
