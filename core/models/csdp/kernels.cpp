#include "core/models/csdp/kernels.hpp"

#include <algorithm>
#include <cmath>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define SR_CSDP_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define SR_CSDP_CLONES
#endif

namespace sr::csdp::kernels {
namespace {

// Adam's constants (ngclearn.utils.optim.adam defaults) as float32, like the reference computes
// them: (1 - beta) is formed in double and rounded once.
constexpr float kBeta1 = 0.9f;
constexpr float kBeta2 = 0.999f;
constexpr float kOneMinusBeta1 = static_cast<float>(1.0 - 0.9);
constexpr float kOneMinusBeta2 = static_cast<float>(1.0 - 0.999);
constexpr float kEps = 1e-8f;

}  // namespace

SR_CSDP_CLONES
void add_rows(float* __restrict acc, const float* __restrict base, std::ptrdiff_t stride,
              const std::int32_t* rows, int count, int n) {
    // A strip of acc stays in registers while all rows pass over it: every element still adds
    // the rows in order (same bits), but acc is loaded and stored once per strip, not per row.
    constexpr int kStrip = 64;
    int j0 = 0;
    for (; j0 + kStrip <= n; j0 += kStrip) {
        float strip[kStrip];
        for (int j = 0; j < kStrip; ++j) strip[j] = acc[j0 + j];
        for (int k = 0; k < count; ++k) {
            const float* __restrict row = base + rows[k] * stride + j0;
            for (int j = 0; j < kStrip; ++j) strip[j] += row[j];
        }
        for (int j = 0; j < kStrip; ++j) acc[j0 + j] = strip[j];
    }
    for (int k = 0; k < count; ++k) {
        const float* __restrict row = base + rows[k] * stride;
        for (int j = j0; j < n; ++j) acc[j] += row[j];
    }
}

SR_CSDP_CLONES
void add_rows_scaled(float* __restrict acc, const float* __restrict base, std::ptrdiff_t stride,
                     const std::int32_t* rows, int count, int n, float scale) {
    for (int k = 0; k < count; ++k) {
        const float* __restrict row = base + rows[k] * stride;
        for (int j = 0; j < n; ++j) acc[j] += row[j] * scale;
    }
}

SR_CSDP_CLONES
void scale(float* __restrict x, int n, float s) {
    for (int j = 0; j < n; ++j) x[j] *= s;
}

SR_CSDP_CLONES
void adam(float* __restrict w, float* __restrict m1, float* __restrict m2, const float* __restrict g,
          const float* __restrict count, int n, const AdamStep& step) {
    const AdamStep s = step;
    for (int j = 0; j < n; ++j) {
        m1[j] = kBeta1 * m1[j] + kOneMinusBeta1 * g[j];
        m2[j] = kBeta2 * m2[j] + kOneMinusBeta2 * (g[j] * g[j]);
    }
    if (count != nullptr) {
        for (int j = 0; j < n; ++j) {
            const float wj = w[j] - (s.eta * (m1[j] / s.bc1)) / (std::sqrt(m2[j] / s.bc2) + kEps);
            w[j] = std::min(std::max(wj + -(count[j] * s.w_decay), s.low), 1.0f);
        }
    } else {
        for (int j = 0; j < n; ++j) {
            const float wj = w[j] - (s.eta * (m1[j] / s.bc1)) / (std::sqrt(m2[j] / s.bc2) + kEps);
            w[j] = std::min(std::max(wj, s.low), 1.0f);
        }
    }
}

SR_CSDP_CLONES
void hebbian_bound(float* __restrict g, const float* __restrict w, int n) {
    for (int j = 0; j < n; ++j) g[j] = (g[j] * (1.0f - std::abs(w[j]))) * -1.0f;
}

}  // namespace sr::csdp::kernels
