#pragma once
// The model interface: a model declares its parameters and turns resolved parameters into a Result.
#include "core/params.hpp"
#include "core/result.hpp"
#include "core/run_context.hpp"

#include <memory>
#include <string>
#include <vector>

namespace sr {

struct ModelInfo {
    std::string name;
    int version = 1;  // bump when results for the same parameters change; part of the job key
    std::string doc;
    std::vector<ParamSpec> params;
    // Open schema: parameters outside every declared name (and outside the subtrees the schema
    // declares) are accepted as they are, unchecked; declared ones are still checked. For models
    // whose parameters belong to someone else, such as an external program (model `exec`).
    bool open_params = false;
    // Results are metrics only, kept in the index: no payload file per job (fitness evaluations
    // of an evolution sweep, 10^4-10^5 small jobs).
    bool metrics_only = false;
};

class Model {
public:
    virtual ~Model() = default;
    virtual const ModelInfo& info() const = 0;

    // Checks that the schema cannot express (shapes of explicit matrices, cross-field rules).
    // Throws ParamError naming the key.
    virtual void validate(const Params& /*params*/) const {}

    // Relative cost (roughly seconds); the coordinator starts expensive jobs first.
    virtual double estimate_cost(const Params& /*params*/) const { return 1.0; }

    // Deterministic given params: all randomness derives from seeds among the params.
    virtual Result run(const Params& params, RunContext& context) const = 0;
};

using ModelPtr = std::shared_ptr<const Model>;

// The parameters a job gets when it sets nothing: every non-null schema default (optional ones absent).
Params default_params(const ModelInfo& info);

}  // namespace sr
