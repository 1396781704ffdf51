#pragma once
// Slurm: batch scripts for a sweep (one MPI allocation, or a job array of shards plus a merge job),
// submitting them with sbatch, the allocation's remaining walltime, and folding shard databases
// into the main index. See docs/slurm.md.
#include "core/command.hpp"
#include "core/registry.hpp"
#include "db/store.hpp"
#include "scheduler/sweep_spec.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::slurm {

enum class Mode { mpi, array };

struct ScriptOptions {
    std::string sweep_name;
    std::filesystem::path sweep_file;  // absolute paths from here on
    std::vector<std::string> sweep_args;  // --set / --grid overrides, given to run and merge alike
    std::filesystem::path db_path;
    std::filesystem::path out_dir;
    std::filesystem::path binary;   // the sweep_runner to run in the allocation
    std::filesystem::path workdir;  // the job's working directory
    Mode mode = Mode::mpi;
    // MPI mode: ranks (rank 0 coordinates, ranks 1..N-1 run jobs), launched by mpirun or srun.
    int ranks = 2;
    std::string launcher = "mpirun";
    // Array mode: `shards` array tasks in all, at most `max_parallel` at once (0: no limit), each
    // with `cpus_per_task` threads; arrays of at most `max_array_size` tasks (the site's MaxArraySize).
    int shards = 1;
    int max_parallel = 0;
    int cpus_per_task = 1;
    // Both modes: the largest resources.cpus of the sweep's jobs. An MPI rank runs one job at a time and gets this many
    // cores; an array task gets at least this many.
    int cpus_per_job = 1;
    int max_array_size = 1001;
    // Both modes.
    std::string time, partition, account, mem;
    std::vector<std::string> sbatch_args;  // extra `#SBATCH` lines, e.g. --qos=debug
    std::vector<std::string> run_args;     // extra `sweep_runner run` options, e.g. --retries 2
    int grace_seconds = 120;  // --signal=B:TERM@grace: time to checkpoint before the time limit
    int max_requeues = 10;    // a stopped run requeues itself at most this often
};

struct BatchScript {
    std::string file_name;  // under <out>/slurm/
    std::string text;
    // Array chunks (and, with max_parallel, each chunk after the first) and the merge job wait for
    // the scripts before them: the indexes of the scripts whose job ids go into --dependency.
    std::vector<std::size_t> after;
    std::string role;  // "mpi", "array", "merge"
};

// MPI mode: one script. Array mode: one script per chunk of at most max_array_size shards, then
// the merge script (dependency afterany on every chunk).
std::vector<BatchScript> batch_scripts(const ScriptOptions& options);

// Single quotes for the shell (an argument passed as it is).
std::string shell_quote(std::string_view text);

// MaxArraySize from `scontrol show config`; nullopt when scontrol is not available.
std::optional<int> site_max_array_size();

// `sbatch --parsable [--dependency=afterany:...] script` → the job id. Throws with sbatch's message.
std::string sbatch(const std::filesystem::path& script, const std::vector<std::string>& dependencies);

// squeue's %L ("1-02:03:04", "2:03:04", "3:04", "UNLIMITED", "INVALID") → seconds.
std::optional<double> parse_time_left(std::string_view text);
// Seconds left in this allocation (SLURM_JOB_ID set), from squeue; nullopt outside Slurm, when
// unlimited, or when it cannot be read.
std::optional<double> remaining_walltime();

// Folds the shard databases <db>.shard-<i>-of-<M>.db into the main index: rows and metrics of jobs
// done or failed in a shard, in one transaction; idempotent. A job done in the main index is never
// replaced by a failure. The shard files stay (a requeued array task reads its own again).
struct MergeSummary {
    std::size_t shards = 0;
    std::size_t jobs = 0;     // rows written into the main index
    std::size_t done = 0, failed = 0;
};
std::vector<std::filesystem::path> find_shards(const std::filesystem::path& db_path);

// Progress of an array sweep before its merge: per sweep name, the jobs that shard databases have
// done or failed while the index still has them not done (a job done in any shard counts as done).
struct UnmergedCounts {
    std::size_t shards = 0;  // shard databases holding any of them
    std::int64_t done = 0, failed = 0;
};
std::map<std::string, UnmergedCounts> unmerged_counts(const std::filesystem::path& db_path, Store& index);
MergeSummary merge_shards(const std::filesystem::path& db_path);

// `sweep_runner submit`: validates and registers the sweep, writes the scripts to <out>/slurm/,
// prints them (dry run) or submits them, printing and recording the Slurm job ids.
struct SubmitRequest {
    std::filesystem::path sweep_file;
    SweepOverrides overrides;
    std::filesystem::path db_path;  // default: <out>/index.db
    std::filesystem::path out_dir = "results";
    ScriptOptions script;           // paths and sweep name are filled in by submit()
    int shards = 0;                 // array mode; 0: one per job, at most 1000
    std::optional<int> max_array_size;  // default: the site's (scontrol), else 1001
    bool dry_run = false;
    const ModelRegistry* models = &builtin_models();  // as RunRequest::models
};
// Exit codes: 0 submitted (or printed); 2 invalid input or sbatch failed.
int submit(const SubmitRequest& request);

// `sweep_runner merge`: folds the shard databases into the index and prints a summary.
int merge(const std::filesystem::path& sweep_file, const SweepOverrides& overrides,
          const std::filesystem::path& db_path, const std::filesystem::path& out_dir,
          const ModelRegistry& models = builtin_models());

}  // namespace sr::slurm
