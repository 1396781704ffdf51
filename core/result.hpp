#pragma once
// What a model run produces: scalar metrics (indexed in SQLite) and named n-d arrays (HDF5 payload).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <variant>
#include <vector>

namespace sr {

struct Array {
    std::vector<std::size_t> shape;  // row-major; empty shape = scalar
    std::variant<std::vector<double>, std::vector<std::int64_t>> values;

    static Array real(std::vector<std::size_t> shape, std::vector<double> values);
    static Array integer(std::vector<std::size_t> shape, std::vector<std::int64_t> values);
    std::size_t size() const;
    bool is_real() const { return std::holds_alternative<std::vector<double>>(values); }
    const std::vector<double>& reals() const { return std::get<std::vector<double>>(values); }
    const std::vector<std::int64_t>& ints() const {
        return std::get<std::vector<std::int64_t>>(values);
    }
};

struct Result {
    std::map<std::string, double> metrics;
    std::map<std::string, Array> arrays;
};

}  // namespace sr
