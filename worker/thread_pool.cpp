#include "worker/thread_pool.hpp"

#include "worker/execute.hpp"

namespace sr {

ThreadPool::ThreadPool(std::size_t threads, std::filesystem::path out_dir, int rank)
    : out_dir_(std::move(out_dir)), rank_(rank) {
    for (std::size_t i = 0; i < std::max<std::size_t>(threads, 1); ++i) {
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

std::size_t ThreadPool::free_slots() const {
    std::lock_guard lock(mutex_);
    const std::size_t capacity = 2 * threads_.size();
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
    event_ready_.wait_for(lock, timeout, [this] {
        return !events_.started.empty() || !events_.finished.empty() || !events_.returned.empty();
    });
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
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return closing_ || !queue_.empty(); });
            if (closing_) return;
            job = std::move(queue_.front());
            queue_.pop_front();
            ++running_;
            events_.started.push_back({job.key, host, rank_, unix_now()});
        }
        event_ready_.notify_all();
        JobOutcome outcome = execute_job(job, out_dir_, &stop_, rank_);
        {
            std::lock_guard lock(mutex_);
            --running_;
            events_.finished.push_back(std::move(outcome));
        }
        event_ready_.notify_all();
    }
}

}  // namespace sr
