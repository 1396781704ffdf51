#pragma once
// The job source of an evolution sweep: it runs the (mu + lambda) loop of every evolution of the
// sweep and hands out one fitness job per rule (or pair of rules) not yet scored. A job's
// parameters are the canonical rule strings and the fitness model's parameters, nothing of the
// evolution's identity, so a rule is scored once for every generation, evolution and sweep of the
// index; a rule already asked for is awaited, not asked again. Each evolution advances as soon as
// its own individuals are scored, in its own order (offspring first), whatever order results come
// in. Nothing of a loop's state is stored but what it produced: after a crash each evolution
// replays its loop from its seed with the stored results and ends with bitwise the same
// populations.
#include "core/model.hpp"
#include "db/evolution_store.hpp"
#include "scheduler/evolution/config.hpp"
#include "scheduler/job_source.hpp"

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace sr::evolution {

// One point of an evolution sweep's expansion.
struct EvolutionPoint {
    std::int64_t position = 0;  // in the expansion
    std::string key;            // the point's key (its parameters with the `evolution` subtree)
    EvolutionConfig config;
    Json settings;              // the `evolution` subtree as written
    Params model_params;        // the fitness model's parameters (rules: placeholders)
};

// Splits an expanded point (PackedJob of an evolution sweep) into its parts.
EvolutionPoint evolution_point(const PackedJob& point);

// A rule as the index keys it: nullopt when it has no value anywhere (the reference's zoo / nan,
// which it scores -inf without a simulation).
std::optional<std::string> canonical_rule(const std::string& graph_expression);

class EvolutionSource final : public JobSource {
public:
    EvolutionSource(std::vector<EvolutionPoint> points, ModelPtr model, Store& store, std::int64_t sweep_id,
                    std::string sweep_name, double timeout_seconds);

    std::optional<PackedJob> next() override;
    void on_outcome(const PackedJob& job, Outcome outcome) override;
    void on_result(const PackedJob& job, const JobOutcome& outcome) override;
    bool exhausted() const override;

    std::size_t evolution_count() const { return evolutions_.size(); }
    std::size_t finished_count() const;
    // Generations completed over all evolutions, and at most how many there will be (an evolution
    // that reached min_fitness counts only those it ran).
    std::pair<std::int64_t, std::int64_t> generations() const;
    // Evolutions stopped by a job that failed for another reason than its timeout (a missing
    // input file, a broken model): position and the job's error. A rerun tries that job again.
    std::vector<std::pair<std::int64_t, std::string>> stalled() const;

private:
    struct Member {  // an individual of the generation being evaluated
        Json rules = Json::array();
        std::string key;  // "" when no job is needed
        bool valid = true;
    };
    struct Evolution {
        EvolutionPoint point;
        std::int64_t id = 0;
        std::unique_ptr<Population> population;
        int prepared_generation = -1;  // members_ describe this generation
        std::vector<Member> members;
        std::string stalled;  // the error of a job it cannot go on without
    };
    // Runs an evolution's loop as far as known fitness allows; asks for the jobs it lacks.
    void advance(std::size_t e);
    void prepare_members(Evolution& evolution);
    PackedJob make_job(const Evolution& evolution, const Json& rules) const;
    std::optional<double> known_fitness(const std::string& key, const std::string& metric);
    void record(Evolution& evolution);

    ModelPtr model_;
    Store& store_;
    EvolutionStore evolution_store_;
    std::int64_t sweep_id_;
    std::string sweep_name_;
    double timeout_seconds_;
    std::vector<Evolution> evolutions_;
    std::deque<PackedJob> queue_;
    std::unordered_map<std::string, double> fitness_;  // by "<metric>\n<job key>"
    // Which evolution (position) first asked for a job, in which generation: its evaluation.
    std::unordered_map<std::string, std::pair<std::int64_t, int>> origin_;
    std::map<std::string, std::set<std::size_t>> waiting_;  // job key -> evolutions awaiting it
    bool warned_missing_metric_ = false;
};

}  // namespace sr::evolution
