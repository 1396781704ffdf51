#pragma once
// Exact statistics of a Boltzmann distribution p(z) ∝ exp(½ zᵀWz + bᵀz) over all 2^dim binary
// states, and the two figures of merit the training records (DKL and weight asymmetry).
#include "core/models/ssn/types.hpp"

#include <vector>

namespace sr::ssn {

struct BoltzmannStatistics {
    std::vector<double> probs;  // 2^dim, state index with neuron 0 as most significant bit
    Matrix coact;               // <z_i z_j>, marginals <z_i> on the diagonal
};

BoltzmannStatistics boltzmann_statistics(const Matrix& w, const Vector& b);

// DKL(p ‖ q) = Σ p log(p / q); +inf when q misses a state p has (as numpy gives).
double kl_divergence(const std::vector<double>& p, const std::vector<double>& q);

// Population variance of the strict upper triangle of W − Wᵀ.
double weight_asymmetry(const Matrix& w);

}  // namespace sr::ssn
