#include "worker/execute.hpp"

#include "core/registry.hpp"
#include "db/payload.hpp"
#include "worker/crash_record.hpp"

#include <chrono>
#include <cmath>

namespace sr {

std::filesystem::path checkpoint_path(const std::filesystem::path& out_dir, const Job& job) {
    return std::filesystem::absolute(job_dir(out_dir, job)).string() + ".ckpt";
}

JobOutcome execute_job(const PackedJob& packed, const ModelRegistry& models, const std::filesystem::path& out_dir,
                       const std::atomic<bool>* stop_flag, int rank) {
    using Clock = std::chrono::steady_clock;
    JobOutcome outcome;
    outcome.key = packed.key;
    outcome.job_id = packed.id;
    outcome.host = hostname();
    outcome.rank = rank;
    outcome.started = unix_now();
    const auto start = Clock::now();
    std::optional<Clock::time_point> deadline;
    if (packed.timeout_seconds > 0) {
        deadline = start + std::chrono::duration_cast<Clock::duration>(
                               std::chrono::duration<double>(packed.timeout_seconds));
    }
    const CrashGuard crash_guard(out_dir, packed.key, packed.attempts);
    Job job;
    try {
        job = unpack(packed);
        const ModelPtr model = models.find(job.model);
        if (!model) throw std::runtime_error("unknown model '" + job.model + "'");
        const auto dir = std::filesystem::absolute(job_dir(out_dir, job));
        RunContext context(deadline, stop_flag, dir);
        context.set_job({job.sweep, job.key, job.index, job.cpus});
        context.set_checkpoint_path(dir.string() + ".ckpt");  // = checkpoint_path(out_dir, job)
        const Result result = model->run(job.params, context);
        for (const auto& [name, value] : result.metrics) {
            // NaN means the model broke; an infinite value can be a result (a DKL of a never-sampled state).
            if (std::isnan(value)) {
                throw std::runtime_error("metric '" + name + "' is NaN");
            }
        }
        // A result with neither metrics nor arrays has nothing to store (no-op jobs); a metrics-only
        // model's metrics travel to the index alone.
        if (!model->info().metrics_only && (!result.metrics.empty() || !result.arrays.empty())) {
            const auto path = std::filesystem::absolute(payload_path(out_dir, job));
            outcome.payload_sha256 = write_payload(path, job, result);
            outcome.payload_path = path.string();
        }
        outcome.metrics = result.metrics;
        outcome.outcome = Outcome::done;
        if (context.checkpoint_used()) {  // done: nothing to resume any more
            std::error_code ignored;
            std::filesystem::remove(context.checkpoint_path(), ignored);
        }
    } catch (const JobCancelled& e) {
        if (e.reason == JobCancelled::Reason::timeout) {
            outcome.outcome = Outcome::failed;
            outcome.error = "timeout: exceeded " + Json(job.timeout_seconds).dump() + " s";
        } else {
            outcome.outcome = Outcome::interrupted;
            outcome.error = e.what();
            if (std::filesystem::exists(checkpoint_path(out_dir, job))) outcome.error += "; checkpoint saved";
        }
    } catch (const StorageFull& e) {
        // Not the job's fault: it goes back to pending, and the coordinator stops the run.
        outcome.outcome = Outcome::interrupted;
        outcome.error = std::string("out of disk space: ") + e.what();
    } catch (const std::exception& e) {
        outcome.outcome = Outcome::failed;
        outcome.error = e.what();
    }
    outcome.finished = unix_now();
    outcome.wall_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return outcome;
}

}  // namespace sr
