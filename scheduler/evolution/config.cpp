#include "scheduler/evolution/config.hpp"

#include <algorithm>
#include <cmath>

namespace sr::evolution {
namespace {

const std::vector<std::string> top_keys = {"seed", "genome", "genomes", "rules", "fitness",
                                           "n_parents", "n_offsprings", "n_breeding", "tournament_size",
                                           "mutation_rate", "max_generations", "min_fitness"};
const std::vector<std::string> genome_keys = {"n_inputs", "n_outputs", "n_columns", "n_rows", "levels_back",
                                              "primitives"};

void reject_unknown(const Json& map, const std::string& prefix, const std::vector<std::string>& known) {
    for (const auto& [key, value] : map.items()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string list;
        for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
        throw ParamError(prefix + key, "unknown key (known: " + list + ")");
    }
}

long long integer(const Json& map, const std::string& prefix, const std::string& key, long long low, long long high,
                  std::optional<long long> fallback = std::nullopt) {
    const Json* value = find_path(map, key);
    if (value == nullptr || value->is_null()) {
        if (fallback) return *fallback;
        throw ParamError(prefix + key, "missing");
    }
    if (!value->is_number_integer()) throw ParamError(prefix + key, "expected an integer, got " + value->dump());
    const long long v = value->get<long long>();
    if (v < low || v > high) {
        throw ParamError(prefix + key, "must be in [" + std::to_string(low) + ", " + std::to_string(high) + "], got " +
                                           std::to_string(v));
    }
    return v;
}

double real(const Json& map, const std::string& key) {
    const Json* value = find_path(map, key);
    if (value == nullptr) throw ParamError("evolution." + key, "missing");
    if (!value->is_number()) throw ParamError("evolution." + key, "expected a number, got " + value->dump());
    return value->get<double>();
}

}  // namespace

EvolutionConfig parse_evolution_config(const Json& evolution) {
    if (!evolution.is_object()) throw ParamError("evolution", "expected a mapping");
    reject_unknown(evolution, "evolution.", top_keys);
    EvolutionConfig config;
    PopulationConfig& p = config.population;

    const Json* genome = find_path(evolution, "genome");
    if (genome == nullptr || !genome->is_object()) throw ParamError("evolution.genome", "expected a mapping");
    reject_unknown(*genome, "evolution.genome.", genome_keys);
    const std::string g = "evolution.genome.";
    GenomeShape shape;
    shape.n_inputs = static_cast<int>(integer(*genome, g, "n_inputs", 1, 1000));
    shape.n_outputs = static_cast<int>(integer(*genome, g, "n_outputs", 1, 1, 1));
    shape.n_columns = static_cast<int>(integer(*genome, g, "n_columns", 1, 10000));
    shape.n_rows = static_cast<int>(integer(*genome, g, "n_rows", 1, 10000));
    // `null` or absent: every column back, as the reference's levels_back=None.
    shape.levels_back = static_cast<int>(integer(*genome, g, "levels_back", 1, shape.n_columns, shape.n_columns));
    const Json* primitives = find_path(*genome, "primitives");
    if (primitives == nullptr || !primitives->is_array() || primitives->empty()) {
        throw ParamError(g + "primitives", "expected a non-empty list such as [Add, Sub, Mul, Div, Pow, 1.0]");
    }
    for (std::size_t i = 0; i < primitives->size(); ++i) {
        const Json& item = (*primitives)[i];
        std::optional<Primitive> primitive;
        if (item.is_string()) primitive = parse_primitive(item.get<std::string>());
        else if (item.is_number()) primitive = Primitive{Primitive::Kind::constant, item.get<double>()};
        if (!primitive) {
            throw ParamError(g + "primitives", "item " + std::to_string(i) +
                                                   ": expected Add, Sub, Mul, Div, Pow or a number, got " + item.dump());
        }
        shape.primitives.push_back(*primitive);
    }
    const int genomes = static_cast<int>(integer(evolution, "evolution.", "genomes", 1, 100, 1));
    p.genomes.assign(static_cast<std::size_t>(genomes), shape);

    const Json* rules = find_path(evolution, "rules");
    if (rules == nullptr || !rules->is_array() || static_cast<int>(rules->size()) != genomes) {
        throw ParamError("evolution.rules", "expected a list of " + std::to_string(genomes) +
                                                " string parameter name(s) of the fitness model, one per genome");
    }
    for (const Json& r : *rules) {
        if (!r.is_string() || r.get<std::string>().empty()) {
            throw ParamError("evolution.rules", "expected parameter names, got " + r.dump());
        }
        config.rule_params.push_back(r.get<std::string>());
    }
    if (const Json* fitness = find_path(evolution, "fitness")) {
        if (!fitness->is_string()) throw ParamError("evolution.fitness", "expected a metric name");
        config.fitness_metric = fitness->get<std::string>();
    }

    const std::string e = "evolution.";
    p.seed = static_cast<std::uint32_t>(integer(evolution, e, "seed", 0, 4294967295LL));
    p.n_parents = static_cast<int>(integer(evolution, e, "n_parents", 1, 100000));
    p.n_offsprings = static_cast<int>(integer(evolution, e, "n_offsprings", 1, 100000));
    p.n_breeding = static_cast<int>(integer(evolution, e, "n_breeding", 1, 100000));
    if (p.n_breeding < p.n_offsprings) {
        throw ParamError("evolution.n_breeding", "must be at least n_offsprings (" + std::to_string(p.n_offsprings) +
                                                     "), got " + std::to_string(p.n_breeding));
    }
    p.tournament_size = static_cast<int>(integer(evolution, e, "tournament_size", 1, p.n_parents));
    p.mutation_rate = real(evolution, "mutation_rate");
    if (!(p.mutation_rate > 0 && p.mutation_rate < 1)) {
        throw ParamError("evolution.mutation_rate", "must be in (0, 1), got " + Json(p.mutation_rate).dump());
    }
    const Genome probe(shape);
    if (static_cast<int>(p.mutation_rate * probe.gene_count()) < 1) {
        throw ParamError("evolution.mutation_rate",
                         "gives no mutation: int(mutation_rate x " + std::to_string(probe.gene_count()) +
                             " genes) is 0");
    }
    p.max_generations = static_cast<int>(integer(evolution, e, "max_generations", 1, 100000000));
    p.min_fitness = real(evolution, "min_fitness");
    if (std::isnan(p.min_fitness)) throw ParamError("evolution.min_fitness", "must be a number");
    return config;
}

std::vector<std::string> check_rule_params(const ModelInfo& model, const Json& evolution) {
    const EvolutionConfig config = parse_evolution_config(evolution);
    for (const std::string& name : config.rule_params) {
        const auto spec = std::find_if(model.params.begin(), model.params.end(),
                                       [&](const ParamSpec& p) { return p.name == name; });
        if (spec == model.params.end() || spec->type != ParamType::string) {
            throw ParamError("evolution.rules", "model " + model.name + " has no string parameter '" + name +
                                                    "' to take a rule");
        }
    }
    return config.rule_params;
}

}  // namespace sr::evolution
