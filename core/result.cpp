#include "core/result.hpp"

#include <functional>
#include <numeric>
#include <stdexcept>

namespace sr {
namespace {

std::size_t element_count(const std::vector<std::size_t>& shape) {
    return std::accumulate(shape.begin(), shape.end(), std::size_t{1}, std::multiplies<>());
}

void check_shape(const std::vector<std::size_t>& shape, std::size_t n) {
    if (element_count(shape) != n) {
        throw std::invalid_argument("array shape does not match its number of values");
    }
}

}  // namespace

Array Array::real(std::vector<std::size_t> shape, std::vector<double> values) {
    check_shape(shape, values.size());
    return Array{std::move(shape), std::move(values)};
}

Array Array::integer(std::vector<std::size_t> shape, std::vector<std::int64_t> values) {
    check_shape(shape, values.size());
    return Array{std::move(shape), std::move(values)};
}

std::size_t Array::size() const {
    return std::visit([](const auto& v) { return v.size(); }, values);
}

}  // namespace sr
