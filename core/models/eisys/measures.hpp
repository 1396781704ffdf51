#pragma once
// What model eisys measures from a spike train, accumulated online in emission order (time, then
// neuron ascending) exactly as sal-code's neuralsampling/stdp_functions.py computes it from the
// ordered spike list:
//  - spike counts;
//  - calc_nn_stdp between two chosen neurons: nearest-neighbour pairs only (a pair counts when
//    the partner's last spike is more recent than the spiking neuron's own), both directions;
//  - pairbased_stdp over all neurons: every spike against the last N spikes of every other neuron;
//  - get_first_order_stds as histograms: nearest-neighbour timing differences (and every
//    neuron's inter-spike intervals on the diagonal) in unit bins over [−H, H].
// All STDP sums use the exponential window of exp_kernel; they are raw sums (the model scales).
#include "core/models/ssn/simulation.hpp"
#include "core/models/ssn/types.hpp"

#include <cstdint>
#include <utility>
#include <vector>

namespace sr::eisys {

using ssn::Matrix;

// exp_kernel(dt, a_plus, a_minus, tau_plus, tau_minus): a_plus·e^(−dt/tau_plus) for dt > 0,
// a_minus·e^(dt/tau_minus) for dt < 0, 0 at dt = 0.
struct ExpWindow {
    double a_plus = -1.0;
    double a_minus = 1.0;
    double tau_plus = 25.0;
    double tau_minus = 25.0;
    double operator()(double dt) const;
};

struct MeasureConfig {
    int dim = 0;
    std::pair<int, int> pair{0, 1};  // the neurons of calc_nn_stdp (i, j)
    ExpWindow window;
    int num_last_spikes = 10;  // pairbased_stdp's memory
    int hist_half_width = 50;  // H: bins [−H, −H + 1), …, [H − 1, H] (numpy.histogram's last bin is closed)
    bool keep_spikes = false;  // also store the spike list (tests, small runs)
};

class SpikeMeasures final : public ssn::SpikeSink {
public:
    explicit SpikeMeasures(MeasureConfig config);

    void add_spike(std::int64_t t, int neuron) override;

    const MeasureConfig& config() const { return config_; }
    const std::vector<std::int64_t>& counts() const { return counts_; }
    // 2 × 2 over (pair.first, pair.second): entry (post, pre).
    const Matrix& nn_stdp() const { return nn_stdp_; }
    // dim × dim: entry (post, pre).
    const Matrix& pair_stdp() const { return pair_stdp_; }
    // dim × dim × 2H counts, entry [post][pre][bin] of Δt = t_post − t_pre.
    const std::vector<std::int64_t>& histograms() const { return histograms_; }
    const std::vector<std::pair<std::int64_t, int>>& spikes() const { return spikes_; }

private:
    void histogram_add(int post, int pre, double dt);

    MeasureConfig config_;
    std::vector<std::int64_t> counts_;
    // The reference's "never spiked" time for the nearest-neighbour rules.
    static constexpr double kNever = -1e10;
    double nn_last_[2] = {kNever, kNever};
    Matrix nn_stdp_;
    std::vector<double> last_spikes_;  // dim × N, newest last, −∞ when empty
    Matrix pair_stdp_;
    std::vector<double> first_order_last_;
    std::vector<std::int64_t> histograms_;
    std::vector<std::pair<std::int64_t, int>> spikes_;
};

}  // namespace sr::eisys
