#include "scheduler/coordinator.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <numeric>
#include <utility>
#include <unordered_map>
#include <unordered_set>

namespace sr {

StaticJobSource::StaticJobSource(std::vector<PackedJob> jobs, int retries)
    : queue_(std::move(jobs)), retries_(retries) {
    // Longest expected first, so a long job does not start last and stretch the sweep; equal
    // costs in expansion order. next() takes from the back, so the queue holds that order reversed.
    // Positions are sorted, then the jobs moved into place along the permutation's cycles:
    // std::stable_sort of the jobs themselves would allocate a second copy of them.
    const std::size_t n = queue_.size();
    std::vector<std::size_t> from(n);  // from[k]: the position of the job that goes to position k
    std::iota(from.begin(), from.end(), std::size_t{0});
    std::stable_sort(from.begin(), from.end(),
                     [&](std::size_t a, std::size_t b) { return queue_[a].cost > queue_[b].cost; });
    std::reverse(from.begin(), from.end());
    for (std::size_t start = 0; start < n; ++start) {
        if (from[start] == start || from[start] == n) continue;  // in place, or moved already
        PackedJob first = std::move(queue_[start]);
        std::size_t k = start;
        while (from[k] != start) {
            queue_[k] = std::move(queue_[from[k]]);
            k = std::exchange(from[k], n);
        }
        queue_[k] = std::move(first);
        from[k] = n;
    }
}

std::optional<PackedJob> StaticJobSource::next() {
    std::optional<PackedJob> job;
    if (!queue_.empty()) {
        job = std::move(queue_.back());
        queue_.pop_back();
    } else if (!retry_queue_.empty()) {
        job = std::move(retry_queue_.front());
        retry_queue_.pop_front();
    }
    return job;
}

void StaticJobSource::on_outcome(const PackedJob& job, Outcome outcome) {
    if (outcome == Outcome::failed && ++failures_[job.key] <= retries_) {
        PackedJob again = job;
        again.attempts += 1;
        retry_queue_.push_back(std::move(again));
    }
}

RunSummary coordinate(JobSource& source, std::size_t total_jobs, WorkerPool& pool, Store& store,
                      std::int64_t sweep_id, const CoordinatorOptions& options) {
    using Clock = std::chrono::steady_clock;
    const auto start = Clock::now();
    RunSummary summary;
    Progress progress;
    progress.total = total_jobs;
    std::unordered_map<std::string, PackedJob> in_flight;
    std::vector<JobStart> started;
    std::vector<JobOutcome> finished;
    // The job of each finished outcome, by position in `finished`, for on_result after the commit.
    std::vector<std::pair<PackedJob, std::size_t>> to_report;
    auto last_commit = Clock::now();
    bool stopping = false;
    bool starved = false;  // the source had nothing to hand out when a slot was free

    // Outcomes count as done only once their transaction has committed. Progress counts jobs, not
    // attempts: a job that fails and is retried counts as failed until an attempt succeeds.
    std::unordered_set<std::string> failed_keys;
    auto flush = [&] {
        store.commit(sweep_id, started, finished);
        for (const JobOutcome& o : finished) {
            if (o.outcome == Outcome::done) {
                ++progress.done;
                if (failed_keys.erase(o.key) != 0) --progress.failed;
            } else if (o.outcome == Outcome::failed && failed_keys.insert(o.key).second) {
                ++progress.failed;
            }
        }
        for (const auto& [job, position] : to_report) source.on_result(job, finished[position]);
        to_report.clear();
        started.clear();
        finished.clear();
        last_commit = Clock::now();
    };

    while (true) {
        if (!stopping && options.stop_requested && options.stop_requested->load()) {
            stopping = true;
            summary.stopped = true;
            pool.request_stop();
        }
        while (!stopping && pool.free_slots() > 0) {
            std::optional<PackedJob> job = source.next();
            starved = !job;
            if (!job) break;
            pool.submit(*job);
            // The arguments cost strings per job: build them only when the line is wanted.
            if (spdlog::should_log(spdlog::level::trace)) {
                spdlog::trace("job {} ({}index {}) dispatched", job->key.substr(0, 12),
                              job->block.empty() ? "" : job->block + " ", job->index);
            }
            std::string key = job->key;
            in_flight.emplace(std::move(key), std::move(*job));
        }
        // Nothing running, nothing to report and nothing to start: no job can come any more (a
        // source that waits on results it will not get, e.g. jobs held back for lack of time).
        if (in_flight.empty() && finished.empty() && (stopping || starved || source.exhausted())) break;

        PoolEvents events = pool.poll(std::chrono::milliseconds(50));
        progress.running += events.started.size();
        for (JobStart& s : events.started) started.push_back(std::move(s));
        for (const std::string& key : events.returned) {
            if (auto it = in_flight.find(key); it != in_flight.end()) {
                source.on_outcome(it->second, Outcome::interrupted);
                in_flight.erase(it);
            }
        }
        for (JobOutcome& o : events.finished) {
            if (spdlog::should_log(spdlog::level::debug)) {
                spdlog::debug("job {} {} on {} rank {} in {:.3f} s{}{}", o.key.substr(0, 12), to_string(o.outcome), o.host,
                              o.rank, o.wall_seconds, o.error.empty() ? "" : ": ", o.error.substr(0, o.error.find('\n')));
            }
            progress.running -= std::min<std::size_t>(progress.running, 1);
            if (o.outcome == Outcome::done) ++summary.done;
            else if (o.outcome == Outcome::failed) ++summary.failed;
            else ++summary.interrupted;
            // Unasked, a worker interrupts a job only for a fault of the environment (its disk is
            // full): every further job would fail the same way, so the run stops, keeping them
            // pending for a rerun.
            if (o.outcome == Outcome::interrupted && !stopping) {
                stopping = true;
                summary.stopped = true;
                summary.fault = o.error;
                pool.request_stop();
            }
            if (auto it = in_flight.find(o.key); it != in_flight.end()) {
                source.on_outcome(it->second, o.outcome);
                to_report.emplace_back(std::move(it->second), finished.size());
                in_flight.erase(it);
            }
            finished.push_back(std::move(o));
        }
        // A starved source may be waiting for these results (the rest of a generation): commit now.
        if (finished.size() >= options.commit_batch || (starved && !finished.empty()) ||
            (!(started.empty() && finished.empty()) && Clock::now() - last_commit >= options.commit_interval)) {
            flush();
        }
        if (options.on_progress) {
            progress.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
            options.on_progress(progress, false);
        }
    }
    flush();
    if (options.on_progress) {
        progress.elapsed_seconds = std::chrono::duration<double>(Clock::now() - start).count();
        options.on_progress(progress, true);
    }
    return summary;
}

}  // namespace sr
