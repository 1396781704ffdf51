#pragma once
// Handed to a running model: progress reporting and cooperative cancellation (deadline, stop request).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace sr {

// Thrown from RunContext::check_cancelled(); the worker records the job as timed out or stopped.
struct JobCancelled : std::runtime_error {
    enum class Reason { timeout, stop_requested };
    JobCancelled(Reason reason, const std::string& what) : std::runtime_error(what), reason(reason) {}
    Reason reason;
};

// Which job a context belongs to (empty key outside a worker), for models that pass it on, such as
// the exec model's {job_key} and {index} placeholders.
struct JobIdentity {
    std::string sweep;
    std::string key;
    std::int64_t index = 0;
};

class RunContext {
public:
    using Clock = std::chrono::steady_clock;
    using ProgressFn = std::function<void(double fraction)>;

    RunContext() = default;
    RunContext(std::optional<Clock::time_point> deadline, const std::atomic<bool>* stop_flag,
               std::filesystem::path work_dir = {}, ProgressFn progress = {})
        : deadline_(deadline),
          stop_flag_(stop_flag),
          work_dir_(std::move(work_dir)),
          progress_(std::move(progress)) {}

    // Call at natural points (every epoch, every few thousand steps); throws JobCancelled.
    void check_cancelled() const;
    bool should_stop() const;
    // A folder of this job's own under the results folder (created on demand by the model), for
    // models that run external programs or keep files besides the payload.
    const std::filesystem::path& work_dir() const { return work_dir_; }
    // The deadline, for models that must enforce it on something they wait for.
    const std::optional<Clock::time_point>& deadline() const { return deadline_; }
    const JobIdentity& job() const { return job_; }
    void set_job(JobIdentity job) { job_ = std::move(job); }
    void report_progress(double fraction) const {
        if (progress_) progress_(fraction);
    }

private:
    std::optional<Clock::time_point> deadline_;
    const std::atomic<bool>* stop_flag_ = nullptr;
    std::filesystem::path work_dir_;
    ProgressFn progress_;
    JobIdentity job_;
};

}  // namespace sr
