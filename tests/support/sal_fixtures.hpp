#pragma once
// tests/data/sal/fixtures.json (values computed by running sal-code's own functions; see the README
// there), read once per test program. SAL_TEST_DATA_DIR is set by each SAL test's CMakeLists.
#include <nlohmann/json.hpp>

#include <fstream>
#include <stdexcept>

namespace sr::sal_test {

inline const nlohmann::json& fixtures() {
    static const nlohmann::json data = [] {
        std::ifstream in(SAL_TEST_DATA_DIR "/fixtures.json");
        if (!in) throw std::runtime_error("cannot open " SAL_TEST_DATA_DIR "/fixtures.json");
        return nlohmann::json::parse(in);
    }();
    return data;
}

}  // namespace sr::sal_test
