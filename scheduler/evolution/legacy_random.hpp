#pragma once
// The draws of numpy's legacy RandomState that the 2019 `gp` package makes (randint, choice,
// permutation), on the same Mersenne Twister stream. With it an evolution seeded like a published
// run creates the same initial population and the same mutations; std::mt19937 seeded with an
// integer is MT19937's init_genrand, as RandomState(seed) is.
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace sr::evolution {

class LegacyRandom {
public:
    explicit LegacyRandom(std::uint32_t seed) : mt_(seed) {}

    // Uniform in [0, max] by masked rejection on 32-bit draws (numpy's random_interval and its
    // bounded randint with use_masked): no draw at all when max is 0.
    std::uint32_t interval(std::uint32_t max) {
        if (max == 0) return 0;
        std::uint32_t mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        std::uint32_t value;
        while ((value = static_cast<std::uint32_t>(mt_()) & mask) > max) {
        }
        return value;
    }
    // randint(0, n), and the index choice(a) draws from a sequence of length n (replace=True).
    int below(int n) { return static_cast<int>(interval(static_cast<std::uint32_t>(n - 1))); }

    // permutation(x) of a sequence: Fisher-Yates from the back, as shuffle does.
    template <class T>
    std::vector<T> permutation(std::vector<T> items) {
        for (std::size_t i = items.size(); i-- > 1;) {
            const std::size_t j = interval(static_cast<std::uint32_t>(i));
            std::swap(items[i], items[j]);
        }
        return items;
    }

private:
    std::mt19937 mt_;
};

}  // namespace sr::evolution
