#include "core/models/ssn/boltzmann.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sr::ssn {

BoltzmannStatistics boltzmann_statistics(const Matrix& w, const Vector& b) {
    const int dim = static_cast<int>(b.size());
    const std::size_t num_states = std::size_t{1} << dim;

    // Log-weights first so the normalisation can subtract the maximum (no overflow for large W).
    std::vector<double> log_weight(num_states);
    Vector z(dim);
    for (std::size_t s = 0; s < num_states; ++s) {
        for (int i = 0; i < dim; ++i) z[i] = static_cast<double>((s >> state_bit(i, dim)) & 1U);
        log_weight[s] = 0.5 * z.dot(w * z) + b.dot(z);
    }
    const double shift = *std::max_element(log_weight.begin(), log_weight.end());

    BoltzmannStatistics out;
    out.probs.resize(num_states);
    out.coact = Matrix::Zero(dim, dim);
    double partition = 0.0;
    for (std::size_t s = 0; s < num_states; ++s) {
        const double weight = std::exp(log_weight[s] - shift);
        out.probs[s] = weight;
        partition += weight;
        for (int i = 0; i < dim; ++i) {
            if (((s >> state_bit(i, dim)) & 1U) == 0) continue;
            for (int j = 0; j < dim; ++j) {
                if ((s >> state_bit(j, dim)) & 1U) out.coact(i, j) += weight;
            }
        }
    }
    for (double& p : out.probs) p /= partition;
    out.coact /= partition;
    return out;
}

double kl_divergence(const std::vector<double>& p, const std::vector<double>& q) {
    double sum = 0.0;
    for (std::size_t k = 0; k < p.size(); ++k) {
        if (p[k] == 0.0) continue;  // 0 log 0 = 0
        if (q[k] == 0.0) return std::numeric_limits<double>::infinity();
        sum += p[k] * std::log(p[k] / q[k]);
    }
    return sum;
}

double weight_asymmetry(const Matrix& w) {
    const Eigen::Index dim = w.rows();
    std::vector<double> diffs;
    for (Eigen::Index i = 0; i < dim; ++i) {
        for (Eigen::Index j = i + 1; j < dim; ++j) diffs.push_back(w(i, j) - w(j, i));
    }
    if (diffs.empty()) return 0.0;
    double mean = 0.0;
    for (double d : diffs) mean += d;
    mean /= static_cast<double>(diffs.size());
    double var = 0.0;
    for (double d : diffs) var += (d - mean) * (d - mean);
    return var / static_cast<double>(diffs.size());
}

}  // namespace sr::ssn
