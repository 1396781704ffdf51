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
#include <string_view>

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
    int cpus = 1;  // cores the job may use (resources.cpus); a model with threads uses that many
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

    // Checkpoints (optional; see docs/slurm.md). A model that can save and restore its state calls
    // load_checkpoint() once at its start and resumes from the state it returns; at its cancellation
    // points it calls save_checkpoint() when stop_requested() (SIGTERM, e.g. Slurm's time-limit
    // warning) and then check_cancelled(). It may also save every N steps to survive SIGKILL. The
    // file sits next to the job's payload (<key>.ckpt) and is deleted once the job is done.
    bool stop_requested() const {
        return stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed);
    }
    // Empty: checkpoints not available here (the model then just runs from the start).
    const std::filesystem::path& checkpoint_path() const { return checkpoint_path_; }
    void set_checkpoint_path(std::filesystem::path path) { checkpoint_path_ = std::move(path); }
    // The last saved state, if any.
    std::optional<std::string> load_checkpoint() const;
    // Atomic: temp name, fsync, rename. Does nothing without a checkpoint path.
    void save_checkpoint(std::string_view state) const;
    // A checkpoint was loaded or saved during this run (the worker deletes it once the job is done).
    bool checkpoint_used() const { return checkpoint_used_; }

private:
    std::optional<Clock::time_point> deadline_;
    const std::atomic<bool>* stop_flag_ = nullptr;
    std::filesystem::path work_dir_;
    ProgressFn progress_;
    JobIdentity job_;
    std::filesystem::path checkpoint_path_;
    mutable bool checkpoint_used_ = false;
};

}  // namespace sr
