#include "scheduler/evolution/evolution_source.hpp"

#include "core/symbolic/expression.hpp"
#include "scheduler/expansion.hpp"

#include <spdlog/spdlog.h>

#include <cmath>

namespace sr::evolution {

EvolutionPoint evolution_point(const PackedJob& point) {
    EvolutionPoint p;
    p.position = point.index;
    p.key = point.key;
    p.model_params = Json::parse(point.params);
    p.settings = p.model_params.at("evolution");
    p.model_params.erase("evolution");
    p.config = parse_evolution_config(p.settings);
    return p;
}

std::optional<std::string> canonical_rule(const std::string& graph_expression) {
    const symbolic::Expr rule = symbolic::parse(graph_expression);
    if (symbolic::is_invalid(rule)) return std::nullopt;
    return symbolic::canonical_string(rule);
}

EvolutionSource::EvolutionSource(std::vector<EvolutionPoint> points, ModelPtr model, Store& store,
                                 std::int64_t sweep_id, std::string sweep_name, double timeout_seconds)
    : model_(std::move(model)),
      store_(store),
      evolution_store_(store),
      sweep_id_(sweep_id),
      sweep_name_(std::move(sweep_name)),
      timeout_seconds_(timeout_seconds) {
    for (EvolutionPoint& point : points) {
        Evolution e;
        e.id = evolution_store_.register_evolution(sweep_id_, point.position, point.key, point.config.population.seed,
                                                   point.settings.dump());
        e.population = std::make_unique<Population>(point.config.population);
        e.point = std::move(point);
        evolutions_.push_back(std::move(e));
    }
    for (std::size_t e = 0; e < evolutions_.size(); ++e) advance(e);
}

std::optional<PackedJob> EvolutionSource::next() {
    if (queue_.empty()) return std::nullopt;
    PackedJob job = std::move(queue_.front());
    queue_.pop_front();
    return job;
}

void EvolutionSource::on_outcome(const PackedJob& job, Outcome outcome) {
    // Stopped before it finished: it runs again (in this run if it goes on, else the next).
    if (outcome == Outcome::interrupted) queue_.push_back(job);
}

namespace {

// Only a timeout is a property of the rule (a pathologically slow simulation): it scores -inf, as
// it would every time. Any other failure says nothing about the rule.
bool is_timeout(const std::string& error) { return error.rfind("timeout:", 0) == 0; }

}  // namespace

void EvolutionSource::on_result(const PackedJob& job, const JobOutcome& outcome) {
    if (outcome.outcome == Outcome::interrupted) return;
    const auto waiting = waiting_.extract(job.key);
    if (waiting.empty()) return;
    if (outcome.outcome == Outcome::failed && !is_timeout(outcome.error)) {
        for (std::size_t e : waiting.mapped()) {
            if (evolutions_[e].stalled.empty()) {
                evolutions_[e].stalled = "job " + job.key.substr(0, 12) + " failed: " + outcome.error.substr(0, outcome.error.find('\n'));
            }
        }
        return;
    }
    for (std::size_t e : waiting.mapped()) {
        const std::string& metric = evolutions_[e].point.config.fitness_metric;
        double fitness = -INFINITY;
        if (outcome.outcome == Outcome::done) {
            if (const auto it = outcome.metrics.find(metric); it != outcome.metrics.end()) {
                fitness = it->second;
            } else if (!warned_missing_metric_) {
                warned_missing_metric_ = true;
                spdlog::warn("warning: {} reported no metric '{}' (evolution.fitness); such rules score -inf",
                        job.model, metric);
            }
        }
        fitness_[metric + '\n' + job.key] = fitness;
    }
    for (std::size_t e : waiting.mapped()) advance(e);
}

bool EvolutionSource::exhausted() const {
    if (!queue_.empty()) return false;
    for (const Evolution& e : evolutions_) {
        if (!e.population->finished() && e.stalled.empty()) return false;
    }
    return true;
}

std::vector<std::pair<std::int64_t, std::string>> EvolutionSource::stalled() const {
    std::vector<std::pair<std::int64_t, std::string>> out;
    for (const Evolution& e : evolutions_) {
        if (!e.stalled.empty()) out.emplace_back(e.point.position, e.stalled);
    }
    return out;
}

std::size_t EvolutionSource::finished_count() const {
    std::size_t n = 0;
    for (const Evolution& e : evolutions_) n += e.population->finished() ? 1 : 0;
    return n;
}

std::pair<std::int64_t, std::int64_t> EvolutionSource::generations() const {
    std::int64_t done = 0, at_most = 0;
    for (const Evolution& e : evolutions_) {
        // A finished population stays at its last generation, which is recorded; a running one is
        // at the generation being evaluated, which is not yet.
        const std::int64_t recorded = e.population->generation() + (e.population->finished() ? 1 : 0);
        done += recorded;
        at_most += e.population->finished() ? recorded : e.point.config.population.max_generations;
    }
    return {done, at_most};
}

PackedJob EvolutionSource::make_job(const Evolution& evolution, const Json& rules) const {
    const ModelInfo& info = model_->info();
    Params params = evolution.point.model_params;
    for (std::size_t g = 0; g < rules.size(); ++g) set_path(params, evolution.point.config.rule_params[g], rules[g]);
    validate_params(info, params);
    model_->validate(params);
    PackedJob job;
    job.sweep = sweep_name_;
    job.model = info.name;
    job.model_version = info.version;
    job.params = params.dump();
    job.key = job_key_of_text(job.model, job.model_version, job.params);
    job.cost = model_->estimate_cost(params);
    job.timeout_seconds = timeout_seconds_;
    job.tags = Json{{"evolution", evolution.point.position}, {"generation", evolution.population->generation()}}.dump();
    return job;
}

std::optional<double> EvolutionSource::known_fitness(const std::string& key, const std::string& metric) {
    const std::string cache_key = metric + '\n' + key;
    if (const auto it = fitness_.find(cache_key); it != fitness_.end()) return it->second;
    const std::optional<StoredResult> stored = evolution_store_.find_result(sweep_id_, key, metric);
    if (!stored) return std::nullopt;
    if (!stored->done && !is_timeout(stored->error)) return std::nullopt;  // try it again
    const double fitness = stored->done && stored->value ? *stored->value : -INFINITY;
    fitness_.emplace(cache_key, fitness);
    if (!stored->tags.empty()) {
        const Json tags = Json::parse(stored->tags);
        if (tags.contains("evolution") && tags.contains("generation")) {
            origin_.emplace(key, std::make_pair(tags["evolution"].get<std::int64_t>(), tags["generation"].get<int>()));
        }
    }
    return fitness;
}

void EvolutionSource::prepare_members(Evolution& evolution) {
    Population& population = *evolution.population;
    evolution.members.assign(population.combined().size(), Member{});
    for (std::size_t i = 0; i < population.combined().size(); ++i) {
        const Individual& individual = population.combined()[i];
        Member& member = evolution.members[i];
        for (std::size_t g = 0; g < individual.genomes.size(); ++g) {
            const std::optional<std::string> rule =
                canonical_rule(population.genomes()[g].expression(individual.genomes[g], 0));
            member.valid = member.valid && rule.has_value();
            member.rules.push_back(rule ? *rule : std::string("nan"));
        }
        if (individual.fitness) continue;  // inherited: no job
        if (!member.valid) continue;
        try {
            member.key = make_job(evolution, member.rules).key;
        } catch (const ParamError&) {
            member.valid = false;  // the model refuses this rule: it can never be scored
        }
    }
    evolution.prepared_generation = population.generation();
}

void EvolutionSource::advance(std::size_t e) {
    Evolution& evolution = evolutions_[e];
    Population& population = *evolution.population;
    const std::string& metric = evolution.point.config.fitness_metric;
    while (!population.finished() && evolution.stalled.empty()) {
        if (evolution.prepared_generation != population.generation()) prepare_members(evolution);
        std::vector<PackedJob> new_jobs;
        bool complete = true;
        for (std::size_t i = 0; i < population.combined().size(); ++i) {
            Individual& individual = population.combined()[i];
            const Member& member = evolution.members[i];
            if (individual.fitness) continue;
            if (!member.valid) {
                individual.fitness = -INFINITY;
                continue;
            }
            if (const std::optional<double> f = known_fitness(member.key, metric)) {
                individual.fitness = *f;
                continue;
            }
            complete = false;
            auto [waiting, first] = waiting_.try_emplace(member.key);
            waiting->second.insert(e);
            if (first) {
                new_jobs.push_back(make_job(evolution, member.rules));
                origin_.try_emplace(member.key, evolution.point.position, population.generation());
            }
        }
        if (!complete) {
            evolution_store_.add_jobs(sweep_id_, new_jobs);
            for (PackedJob& job : new_jobs) queue_.push_back(std::move(job));
            return;
        }
        record(evolution);
    }
}

void EvolutionSource::record(Evolution& evolution) {
    Population& population = *evolution.population;
    GenerationRecord record;
    record.generation = population.generation();
    std::set<std::string> counted;  // a rule twice in a generation is one evaluation and one cache hit
    // From generation 1 on, the individuals after the offspring are the parents, scored before.
    const std::size_t offspring = static_cast<std::size_t>(evolution.point.config.population.n_offsprings);
    for (std::size_t i = 0; i < population.combined().size(); ++i) {
        const Individual& individual = population.combined()[i];
        const Member& member = evolution.members[i];
        IndividualRecord r;
        r.individual = individual.id;
        r.parent = individual.parent;
        r.inherited = individual.inherited;
        for (const Dna& dna : individual.genomes) {
            Json genes = Json::array();
            for (int v : dna) genes.push_back(v == non_coding_gene ? Json() : Json(v));
            r.genomes.push_back(std::move(genes));
        }
        r.rules = member.rules;
        r.job_key = member.key;
        r.fitness = *individual.fitness;
        const bool carried_parent = record.generation > 0 && i >= offspring;
        if (carried_parent) {
            // counted in the generation that scored it
        } else if (individual.inherited) {
            ++record.inherited;
        } else if (!member.key.empty()) {
            const auto origin = origin_.find(member.key);
            const bool evaluated_here = origin != origin_.end() && origin->second.first == evolution.point.position &&
                                        origin->second.second == record.generation;
            if (evaluated_here && counted.insert(member.key).second) ++record.evaluations;
            else ++record.cache_hits;
        }
        record.individuals.push_back(std::move(r));
    }
    population.complete_generation();
    for (const Individual& p : population.parents()) record.parents.push_back(p.id);
    // NaN fitness became -inf in complete_generation: record what the loop used.
    for (std::size_t i = 0; i < record.individuals.size(); ++i) {
        if (std::isnan(record.individuals[i].fitness)) record.individuals[i].fitness = -INFINITY;
    }
    evolution_store_.record_generation(evolution.id, record, population.finished());
}

}  // namespace sr::evolution
