#pragma once
// A sweep file, parsed but not yet expanded. Every value remembers where it was written so that
// errors name file:line:column.
#include "core/params.hpp"
#include "scheduler/expression.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr {

struct Location {
    std::string file;
    int line = 0;    // 1-based; 0 = unknown
    int column = 0;  // 1-based
};

// "file:line:column: key: reason"; the CLI prints it as the one-line error and exits 2.
struct SweepError : std::runtime_error {
    SweepError(Location where, std::string key, std::string reason);
    Location where;
    std::string key;
    std::string reason;
};

// Dotted parameter path -> where its value was written.
using LocationMap = std::map<std::string, Location>;

// One value of an axis: the dotted keys it sets (several for a joint axis) and its tags.
struct AxisPoint {
    Json sets = Json::object();  // dotted key -> value
    Json tags = Json::object();
    LocationMap where;            // dotted key -> location of its value
    Location location;
};

struct Axis {
    std::string name;  // "grid.init_noise", "zip.x", "jobs"
    std::vector<AxisPoint> points;
    Location location;
};

struct Derivation {
    std::string key;  // dotted parameter key it sets
    Expression expression;
    Location location;
};

// One block, already combined with the top-level settings it shares: the jobs of a block are the
// cartesian product of its axes (first axis outermost), each with `derive` applied.
struct Block {
    std::string name;  // "" for a sweep without blocks; else the block's `name` or "block<i>"
    Location location;
    Json params = Json::object();  // base file, then top-level params, then block params
    LocationMap where;             // dotted key -> location of the value that won
    std::vector<Axis> axes;        // grid axes in order, then the folded zip axis, jobs, repeat
    std::vector<Derivation> derive;
    Json tags = Json::object();
    // `resources: {cpus: N}` (the block's, else the sweep's, else 1): cores each job uses. The local
    // pool runs jobs side by side only while their cores fit in -j; exec programs get
    // OMP_NUM_THREADS=N; Slurm scripts ask for N per rank or task.
    int cpus = 1;
};

struct SweepSpec {
    std::filesystem::path file;
    std::string text;  // the file as written, stored with the sweep
    std::string name;
    Location name_location;
    std::string model;
    Location model_location;
    std::optional<double> timeout_seconds;
    // An `evolution:` block: each expanded point is one evolution (its parameter subtree
    // `evolution`), and the model scores its rules (scheduler/evolution/).
    bool evolution = false;
    std::vector<Block> blocks;  // at least one
};

// Command-line edits of a sweep file, as Hydra's overrides: `--set key=value` fixes a parameter in
// every block (value: YAML, e.g. 501, 0.1, [1, 2], text), `--grid key=v1,v2,...` makes the grid axis
// of `key` those values (or a YAML list `[...]`, or a generator `{linspace: [0, 1, 5]}`), replacing
// the file's axis of that key in place or appending one. A key that a zip, jobs list, joint axis or
// derive sets cannot be overridden (the file's value would silently win). The overrides are
// appended to the recorded sweep text as comments, so the index keeps what was run.
struct SweepOverrides {
    std::vector<std::string> set;   // "key=value"
    std::vector<std::string> grid;  // "key=v1,v2,..."
    bool empty() const { return set.empty() && grid.empty(); }
    // The command-line arguments that give these overrides: --set k=v ... --grid k=v1,v2 ...
    std::vector<std::string> arguments() const;
};

// Throws SweepError for anything malformed (syntax, unknown keys, missing base file, empty axes,
// zip length mismatch, bad expressions). Model-specific checks happen in expand().
SweepSpec load_sweep(const std::filesystem::path& file, const SweepOverrides& overrides = {});
SweepSpec parse_sweep(const std::string& text, const std::filesystem::path& file);

// Closest candidate by edit distance, if close enough to be a plausible typo.
std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace sr
