#pragma once
// Shared helpers of the microcircuit tests: the reference-run fixtures.
#include "core/models/microcircuit/microcircuit_model.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

namespace sr::microcircuit_test {

// tests/data/microcircuit/<name>.json: a reference run of the published code (see README there).
inline Json load_reference(const std::string& name) {
    const std::string path = std::string(MICROCIRCUIT_DATA_DIR) + "/" + name + ".json";
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open " + path);
    return Json::parse(in);
}

// A reference run's configuration, starting from exactly the reference's initial student weights.
inline Params reference_params(const Json& reference) {
    Params params = reference.at("config");
    params["student_initial_parameters"]["weights"] = reference.at("random_weights_init");
    return params;
}

}  // namespace sr::microcircuit_test
