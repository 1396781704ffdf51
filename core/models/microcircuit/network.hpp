#pragma once
// The spiking dendritic microcircuit network (sal-code `spiking_microcircuits`, model.py), in
// discrete time steps of 1. Per layer k = 1..L: pyramidal neurons with a basal (bottom-up) and, in
// hidden layers, an apical (top-down) compartment; hidden layers also hold one interneuron per
// neuron of the layer above. Neurons spike with logistic escape noise and an absolute refractory
// period t_ref; a spike is a rectangular PSP of height 1 lasting tau_syn steps.
//
// One step at time t, in the reference's order:
//   1. every neuron that is not refractory spikes with probability logistic(u) computed from the
//      potential of the previous step;
//   2. potentials from the spikes up to and including t:
//        hidden  u = b + W_up psp(below) + lambda_api (W_down psp(above) + W_pi psp(interneurons))
//        interneuron u = b_above + W_ip psp(own layer's pyramids)
//        output  u = b + W_up psp(below) [+ lambda_nudge (u_tgt - <v_bas> - b) when a target is given]
//      then the moving averages <u> and <v_bas> take the new values;
//   3. forward plasticity (when on): W_up[i][j] += lr_up (phi(<u_i>) - phi(<v_bas_i> + b_i)) for every
//      presynaptic j that spiked at t-1; then the feedback copy (backprop) and the self-predicting
//      interneuron weights W_ip = W_up(above), W_pi = -W_down;
//   4. feedback plasticity (when on; SAL): pair-based STDP on W_down between the layer's pyramids
//      (post) and the pyramids above (pre).
#include "core/models/microcircuit/config.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <limits>
#include <vector>

namespace sr::microcircuit {

// Firing probability per step: 1 / (1 + exp(-(u - ln t_ref))).
double logistic(double u, double log_t_ref);

// Running mean over the last `window` samples. Like the reference it starts holding one sample of
// value 0, so the first window-1 means include that zero.
class MovingAverage {
public:
    explicit MovingAverage(std::size_t window);
    void push(double value) {
        // While filling up, the mean grows over count_ samples; afterwards the oldest one drops out.
        if (count_ < ring_.size()) {
            ++count_;
            mean_ += (value - mean_) / static_cast<double>(count_);
        } else {
            mean_ += (value - ring_[next_]) * inverse_window_;
        }
        ring_[next_] = value;
        next_ = next_ + 1 == ring_.size() ? 0 : next_ + 1;
    }
    double value() const { return mean_; }

private:
    std::vector<double> ring_;
    std::size_t next_;
    std::size_t count_ = 1;
    double inverse_window_;
    double mean_ = 0.0;
};

// Time of "never spiked": far enough in the past that t - never overflows no arithmetic.
inline constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min() / 4;

// A group of neurons of one kind (input, pyramidal or interneuron) in one layer.
struct Population {
    Population(std::size_t n, std::size_t n_last);

    std::size_t size() const { return u.size(); }
    std::int64_t newest(std::size_t i) const { return last[i * n_last + n_last - 1]; }
    // Last n_last spike times of neuron i, oldest first (kNever where there are fewer).
    const std::int64_t* spikes(std::size_t i) const { return &last[i * n_last]; }
    void record_spike(std::size_t i, std::int64_t t);

    std::size_t n_last;
    std::vector<double> u;           // potential the next spike draw uses
    std::vector<double> rate_u;      // potential `rate` was computed for (logistic is cached)
    std::vector<double> rate;        // firing probability per step
    std::vector<std::int64_t> last;  // n x n_last spike times
    std::vector<double> psp;         // summed rectangular PSPs at the current step
    std::vector<double> count;       // spikes during the current pattern
};

// One layer with weights (k = 1..L). Hidden layers use every member; the output layer leaves the
// feedback and interneuron members empty.
struct Layer {
    Matrix w_up;    // n x n_below
    Matrix w_down;  // n x n_above: top-down feedback
    Matrix w_pi;    // n x n_above: interneurons -> apical
    Matrix w_ip;    // n_above x n: pyramids -> interneurons
    std::vector<double> b_pyr;
    std::vector<double> b_inn;  // bias of the interneurons (the next layer's bias)
    std::vector<double> v_bas;
    std::vector<double> v_api;
    std::vector<MovingAverage> u_avg;
    std::vector<MovingAverage> v_bas_avg;
    double lambda_api = 0.0;
    double lr_up = 0.0;
    double lr_down = 0.0;
};

// What one pattern presentation does.
struct PatternSettings {
    const std::vector<double>* u_in = nullptr;
    const std::vector<double>* u_target = nullptr;  // null: no nudging (the teacher)
    std::int64_t steps = 0;                         // t_pattern * t_ref
    bool plasticity_up = false;    // forward learning after the learning lag
    bool symmetrization = false;   // apical-only phase with feedback (STDP) learning
    bool copy_feedback = false;    // backprop: W_down follows W_up of the layer above
    bool set_sps = true;           // interneurons follow the self-predicting state
    bool update_down = true;       // STDP on W_down during symmetrization
};

// SAL's pair-based STDP on the feedback weights w_down (post = this layer's pyramids, pre = the
// pyramids above) at time t. A post spike at t adds lr a_causal sum_s exp(-(t-s)/tau_causal) / n_last
// over the pre neuron's stored spikes s < t; a pre spike at t adds the anticausal term over the post
// neuron's spikes instead (it replaces the causal term when both spike at t, as in the reference).
void apply_stdp(Matrix& w_down, double lr, const Population& post, const Population& pre,
                std::int64_t t, const NetworkConfig& config);

class Network {
public:
    Network(const NetworkConfig& config, std::uint64_t poisson_seed);
    // populations_ points into the network's own members.
    Network(const Network&) = delete;
    Network& operator=(const Network&) = delete;

    std::size_t num_layers() const { return layers_.size() - 1; }
    // k = 1..L
    Layer& layer(std::size_t k) { return layers_[k]; }
    const Layer& layer(std::size_t k) const { return layers_[k]; }
    // k = 0..L (0: input)
    Population& pyramids(std::size_t k) { return pyr_[k]; }
    const Population& pyramids(std::size_t k) const { return pyr_[k]; }
    // k = 1..L-1
    Population& interneurons(std::size_t k) { return inn_[k]; }
    const Population& interneurons(std::size_t k) const { return inn_[k]; }
    std::int64_t time() const { return t_; }

    void set_weights(const std::vector<LayerWeights>& weights);
    void set_bias(const std::vector<std::vector<double>>& bias);
    // W_ip = W_up of the layer above, W_pi = -W_down (the self-predicting state).
    void apply_self_predicting();
    // W_down = W_up of the layer above, transposed.
    void copy_feedback();

    // Runs one pattern; returns the output potentials averaged over the steps after the learning
    // lag. Spike counts of the pattern are left in each population's `count`.
    std::vector<double> run_pattern(const PatternSettings& settings);

    // One time step at time(), then time() advances by 1 (public for unit tests).
    void step(const PatternSettings& settings, bool plasticity_up_now);
    // Symmetrization phase: apical dendrites see only the top-down feedback, at full strength
    // (lambda_api = 1, W_pi = W_ip = 0); ending it restores lambda_api and the self-predicting
    // interneurons (the reference does so whatever set_sps says).
    void begin_symmetrization();
    void end_symmetrization();

private:
    void fire(Population& pop);
    void update_psps(Population& pop) const;
    void update_potentials(const PatternSettings& settings);
    void plasticity_up(const PatternSettings& settings);

    NetworkConfig config_;
    double log_t_ref_;
    Rng rng_;
    std::int64_t t_ = 0;
    std::vector<Population> pyr_;  // 0..L
    std::vector<Population> inn_;  // index 1..L-1 used; 0 and L are empty placeholders
    std::vector<Layer> layers_;    // index 1..L used
    std::vector<Population*> populations_;  // the non-empty ones, in the reference's firing order
    std::vector<double> delta_;    // scratch: per-neuron forward learning signal
    // Set when a source of the copied weights (W_up above, W_down) or a copy changed since the
    // last plasticity step copied them; copying unchanged weights again would be a no-op.
    bool copies_stale_ = true;
};

}  // namespace sr::microcircuit
