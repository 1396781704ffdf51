#pragma once
// The `evolution:` block of a sweep file. In an expanded sweep it is the parameter subtree
// `evolution` of each point (so grids can vary its seed or anything else); every point is one
// evolution, and the rest of the point's parameters are the fitness model's.
#include "core/model.hpp"
#include "core/params.hpp"
#include "scheduler/evolution/population.hpp"

#include <string>
#include <vector>

namespace sr::evolution {

struct EvolutionConfig {
    PopulationConfig population;
    // The fitness model's string parameter that receives each genome's rule, in genome order.
    std::vector<std::string> rule_params;
    std::string fitness_metric = "fitness";  // the metric the fitness job reports
};

// Throws ParamError naming "evolution.<key>" for anything missing, unknown or out of range.
EvolutionConfig parse_evolution_config(const Json& evolution);

// parse_evolution_config, and that each rule parameter is a string parameter of the fitness model;
// returns the rule parameters' names.
std::vector<std::string> check_rule_params(const ModelInfo& model, const Json& evolution);

}  // namespace sr::evolution
