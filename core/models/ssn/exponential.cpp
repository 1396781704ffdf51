#include "core/models/ssn/exponential.hpp"

#include <cmath>

namespace sr::ssn {

ExponentialZiggurat::ExponentialZiggurat() {
    // 256 layers of equal area v under exp(-x); r and v from Marsaglia & Tsang (2000), where the
    // base layer is the rectangle [0, r] × [0, e^-r] plus the tail beyond r: v = (r + 1) e^-r.
    constexpr double r = 7.69711747013104972;
    const double v = (r + 1.0) * std::exp(-r);
    tail_start_ = r;
    edge_[0] = v / std::exp(-r);
    edge_[1] = r;
    for (std::size_t i = 1; i + 1 < kLayers; ++i) {
        // Layer i spans heights exp(-edge_[i]) .. exp(-edge_[i+1]) with width edge_[i].
        edge_[i + 1] = -std::log(v / edge_[i] + std::exp(-edge_[i]));
    }
    edge_[kLayers] = 0.0;
    for (std::size_t i = 0; i <= kLayers; ++i) density_[i] = std::exp(-edge_[i]);
}

double ExponentialZiggurat::tail(Rng& rng) { return -std::log(rng.uniform_open0()); }

bool ExponentialZiggurat::wedge_accepts(std::size_t layer, double x, Rng& rng) const {
    // A uniform height within the layer; accept below the curve.
    const double y = density_[layer] + rng.uniform() * (density_[layer + 1] - density_[layer]);
    return y < std::exp(-x);
}

}  // namespace sr::ssn
