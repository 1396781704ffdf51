#pragma once
// Loading the reference fixtures (tests/data/ssn, copied from the sal-code reference runs).
#include "core/models/ssn/types.hpp"

#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr::ssn::testing {

inline nlohmann::json load_fixture(const std::string& relative_path) {
    const std::string path = std::string(SSN_TEST_DATA_DIR) + "/" + relative_path;
    std::ifstream in(path);
    if (!in) throw std::runtime_error("cannot open fixture " + path);
    return nlohmann::json::parse(in);
}

inline Matrix to_matrix(const nlohmann::json& rows) {
    Matrix m(rows.size(), rows.at(0).size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        for (std::size_t j = 0; j < rows[i].size(); ++j) m(i, j) = rows[i][j].get<double>();
    }
    return m;
}

inline Vector to_vector(const nlohmann::json& values) {
    Vector v(values.size());
    for (std::size_t i = 0; i < values.size(); ++i) v[i] = values[i].get<double>();
    return v;
}

inline std::vector<double> to_std_vector(const nlohmann::json& values) {
    return values.get<std::vector<double>>();
}

}  // namespace sr::ssn::testing
