#pragma once
// numpy's np.random.default_rng(seed) for a non-negative integer seed below 2^32: SeedSequence(seed)
// hashing the seed into four 64-bit words, PCG64 (128-bit LCG, XSL-RR output) seeded from them, and
// Generator.uniform(low, high) = low + (high − low) · (next_u64 >> 11) · 2^−53. Only for
// reproducing a reference's initial draws (model salnet's Fig. 7 weights); the project's own
// generator is Rng.
#include <array>
#include <cstdint>

namespace sr {

class NumpyDefaultRng {
public:
    explicit NumpyDefaultRng(std::uint32_t seed) {
        const std::array<std::uint64_t, 4> words = seed_sequence_state(seed);
        const Uint128 init_state{words[0], words[1]};
        const Uint128 init_seq{words[2], words[3]};
        // pcg64_set_seed: increment from the sequence, one step, add the state, one step.
        increment_ = Uint128{(init_seq.hi << 1) | (init_seq.lo >> 63), (init_seq.lo << 1) | 1U};
        state_ = Uint128{0, 0};
        step();
        state_ = add(state_, init_state);
        step();
    }

    std::uint64_t next_u64() {
        step();
        const std::uint64_t xored = state_.hi ^ state_.lo;
        const unsigned rot = static_cast<unsigned>(state_.hi >> 58);
        return (xored >> rot) | (xored << ((64U - rot) & 63U));
    }

    double uniform() { return static_cast<double>(next_u64() >> 11) * (1.0 / 9007199254740992.0); }
    double uniform(double low, double high) { return low + (high - low) * uniform(); }

private:
    struct Uint128 {
        std::uint64_t hi;
        std::uint64_t lo;
    };
    static Uint128 add(Uint128 a, Uint128 b) {
        const std::uint64_t lo = a.lo + b.lo;
        return {a.hi + b.hi + (lo < a.lo ? 1U : 0U), lo};
    }
    static Uint128 multiply(Uint128 a, Uint128 b) {
        __extension__ using U128 = unsigned __int128;  // GCC and Clang; full 64 x 64 products
        const U128 low = static_cast<U128>(a.lo) * b.lo;
        const std::uint64_t hi = static_cast<std::uint64_t>(low >> 64) + a.hi * b.lo + a.lo * b.hi;
        return {hi, static_cast<std::uint64_t>(low)};
    }
    void step() {
        static constexpr Uint128 kMultiplier{0x2360ed051fc65da4ULL, 0x4385df649fccf645ULL};
        state_ = add(multiply(state_, kMultiplier), increment_);
    }

    // SeedSequence(seed).generate_state(4, uint64): the entropy mixed into a pool of four 32-bit
    // words, then eight output words hashed from the pool (little-endian pairs).
    static std::array<std::uint64_t, 4> seed_sequence_state(std::uint32_t seed) {
        constexpr std::uint32_t kInitA = 0x43b0d7e5U, kMultA = 0x931e8875U;
        constexpr std::uint32_t kInitB = 0x8b51f9ddU, kMultB = 0x58f38dedU;
        constexpr std::uint32_t kMixL = 0xca01f9ddU, kMixR = 0x4973f715U;
        constexpr int kShift = 16;
        std::uint32_t hash = kInitA;
        const auto hashmix = [&](std::uint32_t value) {
            value ^= hash;
            hash *= kMultA;
            value *= hash;
            value ^= value >> kShift;
            return value;
        };
        const auto mix = [](std::uint32_t x, std::uint32_t y) {
            std::uint32_t r = kMixL * x - kMixR * y;
            r ^= r >> kShift;
            return r;
        };
        std::array<std::uint32_t, 4> pool{};
        for (std::size_t i = 0; i < pool.size(); ++i) pool[i] = hashmix(i == 0 ? seed : 0U);
        for (std::size_t src = 0; src < pool.size(); ++src) {
            for (std::size_t dst = 0; dst < pool.size(); ++dst) {
                if (src != dst) pool[dst] = mix(pool[dst], hashmix(pool[src]));
            }
        }
        std::uint32_t out_hash = kInitB;
        std::array<std::uint32_t, 8> words{};
        for (std::size_t i = 0; i < words.size(); ++i) {
            std::uint32_t v = pool[i % pool.size()];
            v ^= out_hash;
            out_hash *= kMultB;
            v *= out_hash;
            v ^= v >> kShift;
            words[i] = v;
        }
        std::array<std::uint64_t, 4> state{};
        for (std::size_t i = 0; i < state.size(); ++i) {
            state[i] = static_cast<std::uint64_t>(words[2 * i]) | (static_cast<std::uint64_t>(words[2 * i + 1]) << 32);
        }
        return state;
    }

    Uint128 state_{0, 0};
    Uint128 increment_{0, 0};
};

}  // namespace sr
