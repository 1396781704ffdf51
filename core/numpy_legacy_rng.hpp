#pragma once
// numpy's legacy global generator as np.random.seed(s) sets it up: MT19937 initialised by
// init_genrand(s) (s < 2^32), and random_sample() = (a >> 5, b >> 6) of two 32-bit outputs as a
// 53-bit double. Only for reproducing reference runs bitwise (models' "numpy_legacy" generator
// modes); the project's own generator is Rng.
#include <array>
#include <cstdint>

namespace sr {

class NumpyLegacyRng {
public:
    explicit NumpyLegacyRng(std::uint32_t seed) {
        state_[0] = seed;
        for (std::uint32_t i = 1; i < kSize; ++i) {
            state_[i] = 1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + i;
        }
        position_ = kSize;
    }

    std::uint32_t next_u32() {
        if (position_ == kSize) refill();
        std::uint32_t y = state_[position_++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680U;
        y ^= (y << 15) & 0xefc60000U;
        y ^= y >> 18;
        return y;
    }

    // np.random.random_sample(): uniform in [0, 1).
    double uniform() {
        const std::uint32_t a = next_u32() >> 5;
        const std::uint32_t b = next_u32() >> 6;
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

private:
    static constexpr std::uint32_t kSize = 624;
    static constexpr std::uint32_t kShift = 397;

    void refill() {
        const auto mix = [](std::uint32_t upper, std::uint32_t lower) {
            const std::uint32_t y = (upper & 0x80000000U) | (lower & 0x7fffffffU);
            return (y >> 1) ^ ((y & 1U) != 0 ? 0x9908b0dfU : 0U);
        };
        for (std::uint32_t i = 0; i < kSize; ++i) {
            state_[i] = state_[(i + kShift) % kSize] ^ mix(state_[i], state_[(i + 1) % kSize]);
        }
        position_ = 0;
    }

    std::array<std::uint32_t, kSize> state_{};
    std::uint32_t position_ = kSize;
};

}  // namespace sr
