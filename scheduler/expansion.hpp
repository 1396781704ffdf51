#pragma once
// Expansion: a parsed sweep becomes a list of fully resolved, validated, content-addressed jobs.
#include "core/job.hpp"
#include "core/registry.hpp"
#include "scheduler/sweep_spec.hpp"

#include <string_view>
#include <vector>

namespace sr {


// Hex SHA-256 of the canonical JSON of {model, model_version, params}. nlohmann::json keeps object
// keys sorted, so the order keys were written in never changes a key.
std::string job_key(const std::string& model, int model_version, const Params& params);
// The same from the parameters' canonical JSON text (params.dump()).
std::string job_key_of_text(const std::string& model, int model_version, std::string_view params_json);

// Checks every parameter against the schema (unknown keys with a suggestion, types, ranges) and
// normalises numbers (integers stay integers, reals become doubles) so equal values give equal keys.
// Throws ParamError naming the dotted key.
void validate_params(const ModelInfo& info, Params& params);

// Throws SweepError (file:line:column, key, reason) for the first problem found. Nothing is written.
std::vector<PackedJob> expand_packed(const SweepSpec& spec, const ModelRegistry& registry);
// The same jobs unpacked (parameter trees; for small sweeps and tests).
std::vector<Job> expand(const SweepSpec& spec, const ModelRegistry& registry);

}  // namespace sr
