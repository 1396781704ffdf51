#pragma once
// Read side of the index: results tables (parameters and metrics as columns) for the CLI and tools.
#include "db/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sr {

// One condition of --where: column OP value, e.g. init_noise>=0.4 or tag.sal=on.
struct Condition {
    std::string column;
    std::string op;  // = != < <= > >=
    std::string value;
};

// Parses "a>=0.4 and tag.sal=on" (also comma-separated). Throws std::invalid_argument.
std::vector<Condition> parse_where(const std::string& text);

struct ResultsTable {
    std::vector<std::string> columns;
    std::vector<std::vector<Json>> rows;
};

// Columns: index, key, status, the parameters that vary within the sweep, tag.<name>, metrics;
// or exactly `columns` when given (any parameter path, metric, tag.<name>, or job field).
// Throws std::invalid_argument for an unknown sweep or column.
ResultsTable query_results(Store& store, const std::string& sweep,
                           const std::vector<Condition>& where,
                           const std::vector<std::string>& columns, bool include_failed = true);

struct JobRecord {
    std::string sweep;
    std::int64_t index = 0;
    std::string key, model, status, error, host, payload_path, payload_sha256, binary_version, build_type;
    int model_version = 0, attempts = 0, rank = 0;
    double wall_seconds = 0;
    Json params, tags;
    std::map<std::string, double> metrics;
};

// Finds a job by full key or unique key prefix.
std::optional<JobRecord> find_job(Store& store, const std::string& key_prefix);

std::string format_table(const ResultsTable& table);
std::string format_csv(const ResultsTable& table);
std::string format_json(const ResultsTable& table);

}  // namespace sr
