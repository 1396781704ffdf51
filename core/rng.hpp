#pragma once
// The project's own random generator: xoshiro256** seeded through SplitMix64. Its streams are fixed
// by this code alone (unlike std:: distributions, which differ between standard libraries), so a
// job gives bitwise the same numbers on every thread, rank and host.
#include <array>
#include <cstdint>
#include <initializer_list>

namespace sr {

class Rng {
public:
    // Seeds from one or more integers (e.g. {seed, stream_id}); different lists give independent streams.
    explicit Rng(std::uint64_t seed);
    Rng(std::initializer_list<std::uint64_t> seeds);

    // Inline: the event-driven samplers draw one or two numbers per spike.
    std::uint64_t next_u64() {
        const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
        const std::uint64_t t = state_[1] << 17;
        state_[2] ^= state_[0];
        state_[3] ^= state_[1];
        state_[1] ^= state_[2];
        state_[0] ^= state_[3];
        state_[2] ^= t;
        state_[3] = rotl(state_[3], 45);
        return result;
    }
    // Uniform in [0, 1) with 53 random bits.
    double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
    // Uniform in (0, 1]: safe for log().
    double uniform_open0() { return 1.0 - uniform(); }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }
    // Uniform integer in [0, n), unbiased.
    std::uint64_t below(std::uint64_t n);
    double normal();  // standard normal, Box-Muller without caching
    double normal(double mean, double sd) { return mean + sd * normal(); }
    double exponential(double rate);  // mean 1 / rate
    double beta(double alpha, double beta);
    double gamma(double shape);  // scale 1, Marsaglia-Tsang

    using State = std::array<std::uint64_t, 4>;
    const State& state() const { return state_; }
    void set_state(const State& state) { state_ = state; }

private:
    static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
    State state_{};
};

}  // namespace sr
