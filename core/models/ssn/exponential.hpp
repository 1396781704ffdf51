#pragma once
// Exp(1) variates from sr::Rng by the ziggurat method (Marsaglia & Tsang 2000): one 64-bit draw
// and a table comparison in ~99% of calls, instead of a logarithm per draw. The event-driven
// sampler needs one per spike, where -log(U) was a quarter of its time.
#include "core/rng.hpp"

#include <array>
#include <cstdint>

namespace sr::ssn {

class ExponentialZiggurat {
public:
    ExponentialZiggurat();

    double operator()(Rng& rng) const {
        while (true) {
            const std::uint64_t bits = rng.next_u64();
            const std::size_t layer = bits & (kLayers - 1);
            const double x = static_cast<double>(bits >> 11) * 0x1.0p-53 * edge_[layer];
            if (x < edge_[layer + 1]) return x;  // inside the layer's part under the curve
            // The rare out-of-line steps draw from a copy: passing the caller's generator by
            // reference would take its address, and a generator kept in registers would then
            // live in memory on the common path too.
            Rng scratch = rng;
            double value = x;
            bool accepted = true;
            if (layer == 0) {
                value = tail_start_ + tail(scratch);
            } else {
                accepted = wedge_accepts(layer, x, scratch);
            }
            rng = scratch;
            if (accepted) return value;
        }
    }

private:
    static constexpr std::size_t kLayers = 256;
    // Beyond the base layer's rectangle the density is again exponential (memoryless).
    static double tail(Rng& rng);
    bool wedge_accepts(std::size_t layer, double x, Rng& rng) const;

    double tail_start_;
    // edge_[i]: right edge of layer i (edge_[0] is the base layer's virtual width, decreasing to
    // edge_[kLayers] = 0); density_[i] = exp(-edge_[i]).
    std::array<double, kLayers + 1> edge_{};
    std::array<double, kLayers + 1> density_{};
};

}  // namespace sr::ssn
