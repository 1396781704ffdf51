#pragma once
// JAX's legacy random number generator (threefry-2x32, jax_threefry_partitionable = False, the
// default before JAX 0.5) so that task instances drawn from a seed are the reference's own: the
// single-neuron inputs and the RNN's Poisson inputs and targets come out bitwise the same in
// float64 (x64 mode, as the reference notebooks ran).
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sr::spikegd::jax {

using Key = std::array<std::uint32_t, 2>;

// jax.random.PRNGKey(seed) for a non-negative 64-bit seed.
Key prng_key(std::uint64_t seed);
// jax.random.split(key, num).
std::vector<Key> split(const Key& key, std::size_t num);
// The threefry-2x32 hash of a counter array, as jax.prng.threefry_2x32.
std::vector<std::uint32_t> threefry_2x32(const Key& key, const std::vector<std::uint32_t>& count);

// jax.random.uniform in float64 on [minval, maxval), `size` values in row-major order.
std::vector<double> uniform(const Key& key, std::size_t size, double minval = 0.0, double maxval = 1.0);
// jax.random.uniform in float32 on [0, 1).
std::vector<float> uniform_f32(const Key& key, std::size_t size);
// jax.random.normal in float64: sqrt(2) erfinv(u) with XLA's float64 erfinv.
std::vector<double> normal(const Key& key, std::size_t size);
// jax.random.exponential in float64: -log1p(-u).
std::vector<double> exponential(const Key& key, std::size_t size);

// XLA's float64 erfinv (Giles' polynomial approximation), as jax.lax.erf_inv computes it.
double erf_inv(double x);

}  // namespace sr::spikegd::jax
