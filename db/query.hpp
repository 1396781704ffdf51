#pragma once
// Read side of the index: results tables (parameters and metrics as columns) for the CLI and tools.
#include "db/store.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr {

struct ResultsTable {
    std::vector<std::string> columns;
    std::vector<std::vector<Json>> rows;
};

struct ResultsQuery {
    std::string sweep;  // "": the index's only sweep
    // A boolean expression over the columns, parsed by SQLite: and, or, not, parentheses, in (...),
    // between, like, is null, comparisons and arithmetic. Names are columns (parameter paths,
    // tag.<name>, metrics, job fields); a bare word right after a comparison or inside in (...) that
    // names no column is text (status=failed). Every value is bound, never spliced into SQL.
    std::string where;
    std::vector<std::string> columns;  // empty: the defaults
    std::vector<std::string> sort;     // columns; a leading '-' sorts that column descending
    std::optional<std::size_t> limit;
    // With group_by: one row per distinct combination of these columns, with `count` and for each
    // aggregate column one column <column>_<function> (mean, std, median, min, max, count).
    std::vector<std::string> group_by;
    std::vector<std::string> aggregate_functions;
    std::vector<std::string> aggregate_columns;
    bool include_failed = true;
};

// Columns: index, key, status, the parameters that vary within the sweep, tag.<name>, metrics;
// or exactly `columns` when given (any parameter path, metric, tag.<name>, or job field: index, key,
// status, block, model, cost, attempts, host, rank, started, finished, wall_seconds, error,
// payload_path). payload_path is resolved against the index's folder.
// Throws std::invalid_argument for an unknown sweep, column or a bad expression.
ResultsTable query_results(Store& store, const ResultsQuery& query);
ResultsTable query_results(Store& store, const std::string& sweep, const std::string& where,
                           const std::vector<std::string>& columns, bool include_failed = true);

// The sweep a read command means: `name`, or when empty the index's only sweep. Throws
// std::invalid_argument naming the sweeps there are.
std::string resolve_sweep(Store& store, const std::string& name);

struct JobRecord {
    std::string sweep;
    std::int64_t index = 0;
    std::string key, model, status, error, host, payload_path, payload_sha256, binary_version, build_type;
    int model_version = 0, attempts = 0, rank = 0;
    double wall_seconds = 0;
    Json params, tags;
    std::map<std::string, double> metrics;
};

// Finds a job by full key or unique key prefix; payload_path resolved against the index's folder.
std::optional<JobRecord> find_job(Store& store, const std::string& key_prefix);
// The current (not retired) job at `index` of a sweep.
std::optional<JobRecord> find_job_at(Store& store, const std::string& sweep, std::int64_t index);

// Failed jobs of a sweep grouped by their error's first line, the largest group first.
struct FailureGroup {
    std::string error;       // first line
    std::string detail;      // the error's last lines (an exec job's stderr tail), if it has more
    std::int64_t count = 0;
    std::string example_key;
    Json example_params;
};
std::vector<FailureGroup> failure_groups(Store& store, std::int64_t sweep_id);

// How far a sweep's current jobs are, in their estimated cost (seconds), and how fast the recent
// ones went: the rate is over the last (up to) 200 finished jobs, from the first of them starting to
// the last finishing, so that a pause between two runs does not count as work. The ETA is the
// remaining cost at the cost rate of that window; unknown (nullopt) before two jobs have finished
// or when nothing remains.
struct SweepProgress {
    double done_cost = 0, remaining_cost = 0;  // remaining: pending and running jobs
    std::int64_t window_jobs = 0;
    double window_seconds = 0;
    std::optional<double> first_started;        // of any current job: when the sweep began
    std::optional<double> jobs_per_second, eta_seconds;
};
SweepProgress sweep_progress(Store& store, std::int64_t sweep_id);

// An expansion as a table: [block,] index, key, cost, the parameters that vary, tag.<name>.
ResultsTable job_table(const std::vector<Job>& jobs);

// What running an edited sweep file would do to the index: how many of its jobs are new, done,
// failed or pending there, and how many of the sweep's current rows would be retired (left out by
// the edit: kept but hidden). A sweep the index does not hold has only new jobs.
struct EditPlan {
    std::int64_t new_jobs = 0, done = 0, failed = 0, pending = 0;
    std::int64_t retire_done = 0, retire_other = 0;
};
EditPlan plan_edit(Store& store, const std::string& sweep, const std::vector<std::string_view>& keys);
// "N new, M done, K failed, P pending; R done jobs would be retired" (and the rest retired).
std::string describe(const EditPlan& plan);

// Non-finite reals stay recognisable in every format: inf, -inf and nan (JSON: those strings).
std::string format_table(const ResultsTable& table);
std::string format_csv(const ResultsTable& table);
std::string format_json(const ResultsTable& table);

}  // namespace sr
