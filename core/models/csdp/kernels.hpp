#pragma once
// The hot loops of the CSDP circuit as plain element-wise loops, compiled for AVX-512, AVX2 and
// baseline x86-64 and picked at run time (GCC target_clones). They only ever combine the same
// elements in the same order (and the library is built without floating-point contraction), so
// every clone, like every thread count, gives the same bits.
#include <cstddef>
#include <cstdint>

namespace sr::csdp::kernels {

// acc[j] += base[rows[k] * stride + j] for k < count, j < n (rows in order).
void add_rows(float* acc, const float* base, std::ptrdiff_t stride, const std::int32_t* rows,
              int count, int n);
// acc[j] += base[rows[k] * stride + j] * scale.
void add_rows_scaled(float* acc, const float* base, std::ptrdiff_t stride, const std::int32_t* rows,
                     int count, int n, float scale);
void scale(float* x, int n, float s);

struct AdamStep {
    float eta;       // learning rate
    float bc1, bc2;  // bias corrections 1 - beta^t
    float low;       // clip to [low, 1]
    float w_decay;   // CSDP decay per (1 - pre) x post count
};
// ngclearn's Adam on w[0..n) with gradient g, then w += -(count * w_decay) when count is given,
// then the clip.
void adam(float* w, float* m1, float* m2, const float* g, const float* count, int n, const AdamStep& s);
// The Hebbian rule's bound and sign: g = (g * (1 - |w|)) * -1.
void hebbian_bound(float* g, const float* w, int n);

}  // namespace sr::csdp::kernels
