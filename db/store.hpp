#pragma once
// The SQLite index: sweeps, jobs (with provenance) and metrics. One writer (the coordinator) commits
// in batched BEGIN IMMEDIATE transactions; WAL lets `status` and `results` read while it runs.
#include "core/job.hpp"
#include "db/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr {

enum class JobStatus { pending, running, done, failed };
std::string_view to_string(JobStatus status);
JobStatus job_status_from(std::string_view text);

struct JobState {
    JobStatus status = JobStatus::pending;
    int attempts = 0;
    std::int64_t id = 0;  // the row
};

struct SweepCounts {
    std::string name;
    std::int64_t pending = 0, running = 0, done = 0, failed = 0, retired = 0;
    std::vector<std::pair<std::string, std::string>> failures;  // key, first error line
    std::vector<std::string> submissions;                       // Slurm job ids
};

// The sweep file in its git repository: HEAD's commit, and whether the file differs from it (or is
// not tracked). Unknown (nullopt) outside a repository or without git.
struct GitState {
    std::optional<std::string> commit;
    std::optional<bool> dirty;
};

class Store {
public:
    static constexpr int schema_version = 4;

    // Opens or creates the database; the parent folder must exist. Throws sql::Error naming the path.
    explicit Store(const std::string& path, bool read_only = false);
    ~Store();

    // Creates the sweep or updates its spec, and records the text as a version of the sweep (a new
    // one, or the last time an existing one was run); returns the sweep's id.
    std::int64_t register_sweep(const std::string& name, const std::string& spec_path,
                                const std::string& spec_text, const GitState& git = {});
    // Adds jobs not yet in the index; marks jobs that left the spec as retired (kept, not run).
    // Returns how many were added; `retired_done` (if given) receives how many done jobs this call
    // retired (an edit that hides results, which `run` warns about).
    std::int64_t register_jobs(std::int64_t sweep_id, const std::vector<PackedJob>& jobs,
                               std::int64_t* retired_done = nullptr);
    // After a crash: jobs left `running` go back to `pending`. Returns how many.
    std::int64_t reset_running(std::int64_t sweep_id);
    std::map<std::string, JobState> job_states(std::int64_t sweep_id);
    // The same, one job at a time, without holding them all (a million keys in a map take ~0.2 GB).
    void for_each_job_state(std::int64_t sweep_id,
                            const std::function<void(std::string_view key, const JobState& state)>& visit);

    // One batched transaction: jobs that started and jobs that finished.
    void commit(std::int64_t sweep_id, const std::vector<JobStart>& started,
                const std::vector<JobOutcome>& finished);

    void record_submission(std::int64_t sweep_id, const std::string& scheduler_job_id);
    // A `run` of a sweep (table runs): begins after registration, ends when the runner returns.
    std::int64_t begin_run(std::int64_t sweep_id);
    void end_run(std::int64_t run_id);
    // When the newest run that has not ended began (a run in progress, or one that was killed).
    std::optional<double> current_run_started(std::int64_t sweep_id);
    std::vector<SweepCounts> counts();
    std::optional<std::int64_t> find_sweep(const std::string& name);

    sql::Connection& connection() { return db_; }

    // Payload paths are stored relative to the index's folder (results move as one folder): a path
    // as the index records it, and a recorded path as a path to open (relative to the index).
    std::string stored_path(const std::string& path) const;
    std::string resolve_path(const std::string& stored) const;

private:
    void migrate();
    void make_payload_paths_relative();
    // The statements commit() runs for every job, prepared on first use and kept: preparing them
    // for every batch costs about as much as running them for a few jobs.
    struct CommitStatements;
    CommitStatements& commit_statements();

    sql::Connection db_;
    std::filesystem::path folder_;  // the index's folder, absolute
    std::unique_ptr<CommitStatements> commit_statements_;
};

}  // namespace sr
