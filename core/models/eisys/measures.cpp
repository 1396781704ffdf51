#include "core/models/eisys/measures.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sr::eisys {

double ExpWindow::operator()(double dt) const {
    if (dt > 0.0) return a_plus * std::exp(-dt / tau_plus);
    if (dt < 0.0) return a_minus * std::exp(dt / tau_minus);
    return 0.0;
}

SpikeMeasures::SpikeMeasures(MeasureConfig config)
    : config_(config),
      counts_(static_cast<std::size_t>(config.dim), 0),
      nn_stdp_(Matrix::Zero(2, 2)),
      last_spikes_(static_cast<std::size_t>(config.dim) * config.num_last_spikes,
                   -std::numeric_limits<double>::infinity()),
      pair_stdp_(Matrix::Zero(config.dim, config.dim)),
      first_order_last_(static_cast<std::size_t>(config.dim), kNever),
      histograms_(static_cast<std::size_t>(config.dim) * config.dim * 2 * config.hist_half_width, 0) {}

void SpikeMeasures::histogram_add(int post, int pre, double dt) {
    const int h = config_.hist_half_width;
    if (dt < -h || dt > h) return;
    const int bin = std::min(static_cast<int>(dt) + h, 2 * h - 1);
    ++histograms_[(static_cast<std::size_t>(post) * config_.dim + pre) * 2 * h + bin];
}

void SpikeMeasures::add_spike(std::int64_t t_int, int s) {
    const auto t = static_cast<double>(t_int);
    ++counts_[static_cast<std::size_t>(s)];
    if (config_.keep_spikes) spikes_.emplace_back(t_int, s);
    const int dim = config_.dim;
    const ExpWindow& k = config_.window;

    // calc_nn_stdp on the spikes of the pair only.
    const int local = s == config_.pair.first ? 0 : s == config_.pair.second ? 1 : -1;
    if (local >= 0) {
        const double dt_self = t - nn_last_[local];
        for (int q = 0; q < 2; ++q) {
            const double dt = t - nn_last_[q];
            if (dt < dt_self) {
                nn_stdp_(local, q) += k(dt);
                nn_stdp_(q, local) += k(-dt);
            }
        }
        nn_last_[local] = t;
    }

    // pairbased_stdp: against the last N spikes of every other neuron.
    const int n = config_.num_last_spikes;
    for (int other = 0; other < dim; ++other) {
        if (other == s) continue;
        const double* last = &last_spikes_[static_cast<std::size_t>(other) * n];
        double causal = 0.0;
        for (int m = 0; m < n; ++m) causal += k(t - last[m]);
        pair_stdp_(s, other) += causal;
        double acausal = 0.0;
        for (int m = 0; m < n; ++m) acausal += k(-(t - last[m]));
        pair_stdp_(other, s) += acausal;
    }
    double* mine = &last_spikes_[static_cast<std::size_t>(s) * n];
    for (int m = 0; m + 1 < n; ++m) mine[m] = mine[m + 1];
    mine[n - 1] = t;

    // get_first_order_stds: nearest-neighbour differences and the own inter-spike interval.
    const double dt_self = t - first_order_last_[static_cast<std::size_t>(s)];
    for (int q = 0; q < dim; ++q) {
        const double dt = t - first_order_last_[static_cast<std::size_t>(q)];
        if (dt < dt_self) {
            histogram_add(s, q, dt);
            histogram_add(q, s, -dt);
        }
        if (q == s && dt < 1e8) histogram_add(s, s, dt);
    }
    first_order_last_[static_cast<std::size_t>(s)] = t;
}

}  // namespace sr::eisys
