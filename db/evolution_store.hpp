#pragma once
// The index's record of evolution sweeps: one row per evolution, its individuals per generation and
// a per-generation summary. Fitness evaluations themselves are ordinary jobs (with their metrics in
// the index); these tables only say who asked for which rule and what the loop made of it. They are
// derived: a resumed evolution replays its loop from its seed and the stored fitness per job key,
// and rewrites nothing already recorded.
#include "core/job.hpp"
#include "db/query.hpp"
#include "db/store.hpp"

#include <optional>
#include <string>
#include <vector>

namespace sr {

struct IndividualRecord {
    std::int64_t individual = 0;  // creation order within its evolution (the reference's idx)
    std::int64_t parent = -1;
    bool inherited = false;
    Json genomes = Json::array();  // one gene list per genome (null: non-coding gene)
    Json rules = Json::array();    // one canonical rule per genome
    std::string job_key;           // "" when no job was needed (inherited, or an invalid rule)
    double fitness = 0;
};

struct GenerationRecord {
    int generation = 0;
    std::vector<IndividualRecord> individuals;  // offspring then parents, as evaluated
    std::vector<std::int64_t> parents;          // the new parents, best first
    int evaluations = 0;  // jobs this evolution started for this generation
    int cache_hits = 0;   // individuals whose rules were already scored (any run, any sweep)
    int inherited = 0;    // offspring that kept their parent's fitness
};

struct EvolutionRow {
    std::int64_t id = 0;
    std::int64_t position = 0;  // the point of the sweep's expansion
    std::int64_t seed = 0;
    bool finished = false;
    int generations = 0;  // recorded so far
    std::optional<double> best_fitness;
    std::string best_rules;  // JSON list
};

struct ChampionRow {
    std::int64_t position = 0;
    int generation = 0;
    double fitness = 0;
    std::string rules;  // JSON list
    int evaluations = 0, cache_hits = 0;
};

// A finished fitness job found by key.
struct StoredResult {
    bool done = false;            // else failed
    std::optional<double> value;  // the metric asked for, when present
    std::string tags;             // the job's tags in the sweep asked about ("" elsewhere)
    std::string error;            // a failed job's reason
};

class EvolutionStore {
public:
    // Creates the tables if this index has none yet (a read-only store must have them).
    explicit EvolutionStore(Store& store, bool read_only = false);

    // The evolution for this point of the sweep (found again by its key on a rerun).
    std::int64_t register_evolution(std::int64_t sweep_id, std::int64_t position, const std::string& point_key,
                                    std::int64_t seed, const std::string& config_json);
    // Generations already recorded.
    int recorded_generations(std::int64_t evolution_id);
    void record_generation(std::int64_t evolution_id, const GenerationRecord& record, bool finished);

    // The result of a job with this key, preferring this sweep's row; any sweep's finished row will do.
    std::optional<StoredResult> find_result(std::int64_t sweep_id, const std::string& key, const std::string& metric);
    // Adds fitness jobs to the sweep without retiring its other jobs; sets each job's id.
    void add_jobs(std::int64_t sweep_id, std::vector<PackedJob>& jobs);

    std::vector<EvolutionRow> evolutions(std::int64_t sweep_id);
    std::vector<ChampionRow> champions(std::int64_t sweep_id);

private:
    Store& store_;
};

// Whether the index has evolution tables with rows for this sweep (for status and results).
bool has_evolutions(Store& store, std::int64_t sweep_id);
// One row per evolution: position, seed, generations done, finished, best fitness, its rules.
ResultsTable evolutions_table(Store& store, std::int64_t sweep_id);

// How far an evolution sweep is (its jobs are registered one generation at a time, so their count
// says nothing): generations recorded, at most how many in all (an evolution reaching min_fitness
// stops early), and generations per second over the latest 200 fitness jobs.
struct EvolutionProgress {
    std::int64_t generations = 0;
    std::int64_t max_generations = 0;
    std::optional<double> generations_per_second;
    std::optional<double> eta_seconds;  // at most
};
EvolutionProgress evolution_progress(Store& store, std::int64_t sweep_id);
// One row per evolution and generation: the champion, its fitness, new evaluations, cache hits.
ResultsTable champions_table(Store& store, std::int64_t sweep_id);

}  // namespace sr
