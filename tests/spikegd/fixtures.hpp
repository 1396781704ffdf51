#pragma once
// The reference fixtures (tests/data/spikegd/fixtures.json, from ../shared/reference/spikegd).
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>
#include <limits>
#include <string>

namespace spikegd_test {

inline const nlohmann::json& fixtures() {
    static const nlohmann::json j = [] {
        std::ifstream in(std::string(SPIKEGD_TEST_DATA_DIR) + "/fixtures.json");
        return nlohmann::json::parse(in);
    }();
    return j;
}

// JSON null stands for "no spike" (infinity).
inline double num(const nlohmann::json& v) {
    return v.is_null() ? std::numeric_limits<double>::infinity() : v.get<double>();
}

inline double rel_err(double a, double b) {
    if (a == b) return 0;
    return std::abs(a - b) / std::max(std::abs(b), 1e-300);
}

}  // namespace spikegd_test
