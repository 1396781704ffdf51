#pragma once
// `sweep_runner run`: expand and validate the sweep, register it in the index, run what is not yet
// done, and report. Shared by local threads and MPI (rank 0 calls it with its pool).
#include "core/registry.hpp"
#include "db/store.hpp"
#include "scheduler/sweep_spec.hpp"
#include "worker/worker_pool.hpp"

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace sr {

struct RunRequest {
    std::filesystem::path sweep_file;
    SweepOverrides overrides;       // --set / --grid
    std::filesystem::path db_path;  // default: <out>/index.db
    std::filesystem::path out_dir = "results";
    int retries = 0;           // more attempts for a job that fails in this run
    bool retry_failed = false;  // run the jobs that failed in earlier runs again
    std::optional<double> timeout_seconds;  // overrides the sweep's `timeout`
    const std::atomic<bool>* stop_requested = nullptr;
    bool quiet = false;  // no progress or summary output
    // The transport (threads or MPI ranks), owned by the caller so that MPI workers are released
    // however the run ends; its workers write payloads under out_dir.
    WorkerPool* pool = nullptr;
    // Shard `shard_index` of `shard_count` (Slurm array task): only the jobs whose position in the
    // expansion is shard_index modulo shard_count, recorded in their own database next to the main
    // one (shard_db_path); jobs already done in the main database are skipped. 0: no sharding.
    int shard_index = 0;
    int shard_count = 0;
    // Inside an allocation: seconds of walltime left (nullopt: unknown or unlimited), asked once at
    // the start. A job whose estimated cost exceeds the time left is not started.
    std::function<std::optional<double>()> remaining_seconds;
    // The models jobs may name: the built-in ones, or a lab's program's own set (cli/cli.hpp).
    const ModelRegistry* models = &builtin_models();
};

// "2h05m", "3m20s", "45s"; "?" for a negative or absurd value.
std::string duration_text(double seconds);

// <db>.shard-<i>-of-<M>.db
std::filesystem::path shard_db_path(const std::filesystem::path& db_path, int shard_index, int shard_count);

// The index a command uses: --db if given, else OUT/index.db.
std::filesystem::path index_path(const std::filesystem::path& out_dir, const std::filesystem::path& db_path);

// A sweep file loaded and expanded for a command (run, submit). An invalid sweep prints its one-line
// error and gives nothing; the command then exits 2 having written nothing.
struct ExpandedSweep {
    SweepSpec spec;
    std::vector<PackedJob> jobs;
};
std::optional<ExpandedSweep> load_and_expand(const std::filesystem::path& sweep_file, const SweepOverrides& overrides,
                                             const ModelRegistry& models);

// The sweep file's git state, recorded with each version of the sweep's text (Store::register_sweep).
GitState git_state(const std::filesystem::path& sweep_file);

// Exit codes: 0 every job of the sweep done; 1 some failed; 2 invalid input (nothing written);
// 3 stopped before the sweep finished (a signal, or too little allocation time left for the rest).
int run_sweep(const RunRequest& request);

}  // namespace sr
