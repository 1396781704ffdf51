#include "core/rng.hpp"

#include <cmath>
#include <numbers>

namespace sr {
namespace {

std::uint64_t splitmix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace

Rng::Rng(std::uint64_t seed) : Rng({seed}) {}

Rng::Rng(std::initializer_list<std::uint64_t> seeds) {
    std::uint64_t mix = 0x5EEDULL;
    for (std::uint64_t s : seeds) {
        mix ^= s;
        mix = splitmix64(mix);
    }
    for (auto& word : state_) word = splitmix64(mix);
}

std::uint64_t Rng::below(std::uint64_t n) {
    // Lemire's rejection on 128-bit products.
    std::uint64_t x = next_u64();
    __uint128_t m = static_cast<__uint128_t>(x) * n;
    auto low = static_cast<std::uint64_t>(m);
    if (low < n) {
        const std::uint64_t threshold = -n % n;
        while (low < threshold) {
            x = next_u64();
            m = static_cast<__uint128_t>(x) * n;
            low = static_cast<std::uint64_t>(m);
        }
    }
    return static_cast<std::uint64_t>(m >> 64);
}

double Rng::normal() {
    const double u1 = uniform_open0();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::exponential(double rate) { return -std::log(uniform_open0()) / rate; }

double Rng::gamma(double shape) {
    if (shape < 1.0) {
        // Boost to shape + 1, then scale by U^(1/shape).
        const double g = gamma(shape + 1.0);
        return g * std::pow(uniform_open0(), 1.0 / shape);
    }
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    while (true) {
        double x = 0.0;
        double v = 0.0;
        do {
            x = normal();
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = uniform_open0();
        if (std::log(u) < 0.5 * x * x + d - d * v + d * std::log(v)) return d * v;
    }
}

double Rng::beta(double alpha, double beta_param) {
    const double x = gamma(alpha);
    const double y = gamma(beta_param);
    return x / (x + y);
}

}  // namespace sr
