#include "core/models/spikegd/jax_random.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace sr::spikegd::jax {

namespace {

std::uint32_t rotl(std::uint32_t v, int r) { return (v << r) | (v >> (32 - r)); }

void threefry_block(const Key& key, std::uint32_t& x0, std::uint32_t& x1) {
    static constexpr int rot[2][4] = {{13, 15, 26, 6}, {17, 29, 16, 24}};
    const std::uint32_t ks[3] = {key[0], key[1], key[0] ^ key[1] ^ 0x1BD11BDAu};
    x0 += ks[0];
    x1 += ks[1];
    for (int group = 0; group < 5; ++group) {
        for (int r : rot[group % 2]) {
            x0 += x1;
            x1 = rotl(x1, r);
            x1 ^= x0;
        }
        x0 += ks[(group + 1) % 3];
        x1 += ks[(group + 2) % 3] + static_cast<std::uint32_t>(group + 1);
    }
}

// random_bits(key, 64, size): 2*size counters hashed; the first half gives the high words.
std::vector<std::uint64_t> random_bits64(const Key& key, std::size_t size) {
    std::vector<std::uint32_t> count(2 * size);
    for (std::size_t i = 0; i < count.size(); ++i) count[i] = static_cast<std::uint32_t>(i);
    const auto bits = threefry_2x32(key, count);
    std::vector<std::uint64_t> out(size);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = (static_cast<std::uint64_t>(bits[i]) << 32) | bits[size + i];
    return out;
}

}  // namespace

Key prng_key(std::uint64_t seed) {
    return {static_cast<std::uint32_t>(seed >> 32), static_cast<std::uint32_t>(seed & 0xFFFFFFFFu)};
}

std::vector<std::uint32_t> threefry_2x32(const Key& key, const std::vector<std::uint32_t>& count) {
    // An odd count is padded with one zero; the halves are hashed pairwise.
    std::vector<std::uint32_t> x = count;
    if (x.size() % 2 == 1) x.push_back(0);
    const std::size_t half = x.size() / 2;
    for (std::size_t i = 0; i < half; ++i) threefry_block(key, x[i], x[half + i]);
    x.resize(count.size());
    return x;
}

std::vector<Key> split(const Key& key, std::size_t num) {
    std::vector<std::uint32_t> count(2 * num);
    for (std::size_t i = 0; i < count.size(); ++i) count[i] = static_cast<std::uint32_t>(i);
    const auto bits = threefry_2x32(key, count);
    std::vector<Key> keys(num);
    for (std::size_t i = 0; i < num; ++i) keys[i] = {bits[2 * i], bits[2 * i + 1]};
    return keys;
}

std::vector<double> uniform(const Key& key, std::size_t size, double minval, double maxval) {
    const auto bits = random_bits64(key, size);
    std::vector<double> out(size);
    for (std::size_t i = 0; i < size; ++i) {
        // 52 mantissa bits under the exponent of 1.0 give a float in [1, 2).
        const std::uint64_t fbits = (bits[i] >> 12) | 0x3FF0000000000000ull;
        double f;
        std::memcpy(&f, &fbits, sizeof f);
        out[i] = std::max(minval, (f - 1.0) * (maxval - minval) + minval);
    }
    return out;
}

std::vector<float> uniform_f32(const Key& key, std::size_t size) {
    std::vector<std::uint32_t> count(size);
    for (std::size_t i = 0; i < size; ++i) count[i] = static_cast<std::uint32_t>(i);
    const auto bits = threefry_2x32(key, count);
    std::vector<float> out(size);
    for (std::size_t i = 0; i < size; ++i) {
        const std::uint32_t fbits = (bits[i] >> 9) | 0x3F800000u;
        float f;
        std::memcpy(&f, &fbits, sizeof f);
        out[i] = f - 1.0f;
    }
    return out;
}

double erf_inv(double x) {
    static constexpr double lt_6_25[23] = {
        -3.6444120640178196996e-21, -1.685059138182016589e-19,  1.2858480715256400167e-18,
        1.115787767802518096e-17,   -1.333171662854620906e-16,  2.0972767875968561637e-17,
        6.6376381343583238325e-15,  -4.0545662729752068639e-14, -8.1519341976054721522e-14,
        2.6335093153082322977e-12,  -1.2975133253453532498e-11, -5.4154120542946279317e-11,
        1.051212273321532285e-09,   -4.1126339803469836976e-09, -2.9070369957882005086e-08,
        4.2347877827932403518e-07,  -1.3654692000834678645e-06, -1.3882523362786468719e-05,
        0.0001867342080340571352,   -0.00074070253416626697512, -0.0060336708714301490533,
        0.24015818242558961693,     1.6536545626831027356};
    static constexpr double lt_16[19] = {
        2.2137376921775787049e-09,  9.0756561938885390979e-08,  -2.7517406297064545428e-07,
        1.8239629214389227755e-08,  1.5027403968909827627e-06,  -4.013867526981545969e-06,
        2.9234449089955446044e-06,  1.2475304481671778723e-05,  -4.7318229009055733981e-05,
        6.8284851459573175448e-05,  2.4031110387097893999e-05,  -0.0003550375203628474796,
        0.00095328937973738049703,  -0.0016882755560235047313, 0.0024914420961078508066,
        -0.0037512085075692412107,  0.005370914553590063617,    1.0052589676941592334,
        3.0838856104922207635};
    static constexpr double gt_16[17] = {
        -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
        -3.7894654401267369937e-09, 7.6157012080783393804e-09,  -1.4960026627149240478e-08,
        2.9147953450901080826e-08,  -6.7711997758452339498e-08, 2.2900482228026654717e-07,
        -9.9298272942317002539e-07, 4.5260625972231537039e-06,  -1.9681778105531670567e-05,
        7.5995277030017761139e-05,  -0.00021503011930044477347, -0.00013871931833623122026,
        1.0103004648645343977,      4.8499064014085844221};
    if (std::abs(x) == 1.0) return x * std::numeric_limits<double>::max();
    double w = -std::log1p(-x * x);
    const bool small = w < 6.25, mid = w < 16;
    const double* c = small ? lt_6_25 : (mid ? lt_16 : gt_16);
    const int degree = small ? 23 : (mid ? 19 : 17);
    w = small ? w - 3.125 : std::sqrt(w) - (mid ? 3.25 : 5.0);
    double p = c[0];
    for (int i = 1; i < degree; ++i) p = c[i] + p * w;
    return p * x;
}

std::vector<double> normal(const Key& key, std::size_t size) {
    // Uniform on (-1, 1): the lower end is the float after -1 towards 0.
    const double lo = std::nextafter(-1.0, 0.0);
    auto u = uniform(key, size, lo, 1.0);
    for (double& v : u) v = std::sqrt(2.0) * erf_inv(v);
    return u;
}

std::vector<double> exponential(const Key& key, std::size_t size) {
    auto u = uniform(key, size);
    for (double& v : u) v = -std::log1p(-v);
    return u;
}

}  // namespace sr::spikegd::jax
