#pragma once
// Short rows of doubles processed kWidth lanes at a time (GCC/Clang vector extensions), for the
// sampler's per-spike work. Two widths: 2 lanes (SSE2 on every x86-64, NEON on ARM; no -march
// needed) and 4 lanes, used only inside functions compiled for AVX2 and chosen at run time when
// the CPU has it (wide_lanes_available). Every lane operation is an exact IEEE operation on its
// own element (no fused multiply-add, no reassociation), so both widths give bitwise the same
// results: a job's numbers do not depend on the host it ran on.
//
// Blocks are loaded and stored with memcpy inside the loops rather than through helper
// functions: a function returning a 4-lane block would change the calling convention on hosts
// without AVX.
#include <cstdint>

namespace sr::ssn {

template <int kWidth>
struct Lanes {
    typedef double Block __attribute__((vector_size(kWidth * sizeof(double))));
    // Lane masks of comparisons: −1 where true, 0 where false.
    typedef std::int64_t Mask __attribute__((vector_size(kWidth * sizeof(std::int64_t))));
};

inline constexpr int kNarrowLanes = 2;
inline constexpr int kWideLanes = 4;
// Rows padded to a multiple of this many doubles work with either width.
inline constexpr int kRowAlignLanes = kWideLanes;

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SR_SSN_WIDE_LANES 1
// Marks the functions whose inlined bodies use 4-lane blocks (and the bit instructions every
// CPU with AVX2 has). Not FMA: contracted products would round differently.
#define SR_SSN_WIDE_TARGET [[gnu::target("avx2,bmi,bmi2,popcnt")]]
inline bool wide_lanes_available() {
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2") &&
           __builtin_cpu_supports("popcnt");
}
#else
#define SR_SSN_WIDE_LANES 0
inline bool wide_lanes_available() { return false; }
#endif

}  // namespace sr::ssn
