#pragma once
// spikegd's RNN experiment (experiments/rnn/rnn.py): N recurrent QIF neurons driven by excitatory
// and inhibitory Poisson inputs; the first Ntar neurons learn target spike trains. Trained are the
// recurrent weights and the initial states (V0, I0); AdaBelief with an exponentially decaying rate.
// Mode "grid" additionally searches the step length along the optimizer's update on a log grid,
// keeping only steps that move no output spike by more than dt_max.
#include "core/models/spikegd/qif.hpp"
#include "core/models/spikegd/qif_network.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sr::spikegd {

struct RnnConfig {
    std::uint64_t seed = 7;
    QifParams neuron;
    int N = 10;
    double w_in_exc = 5.0;
    double w_in_inh = -5.0;
    double r_in = 1.0;
    double T = 10.0;
    int K = 500;
    int Ntar = 2;
    std::vector<double> r_targets{1.0, 0.5};
    int Ntrial = 10000;  // the run has Ntrial + 1 trials, as the reference
    std::string mode = "normal";
    // optax.adabelief(exponential_decay(lr, lr_decay_steps, lr_decay_rate), b1, b2); steps 0: constant
    double lr = 1e-2;
    long lr_decay_steps = 2000;
    double lr_decay_rate = 0.36787944117144233;  // 1 / e
    double b1 = 0.9;
    double b2 = 0.999;
    // Grid mode: step multipliers 10^linspace(grid_min_exp, grid_max_exp, grid_n).
    double dt_max = 0.5;
    double grid_min_exp = -5;
    double grid_max_exp = 2;
    int grid_n = 50;
};

struct RnnTask {
    std::vector<QifInput> inputs;               // sorted by time
    std::vector<double> w_in;                   // N x 2N
    std::vector<std::vector<double>> targets;   // Ntar target trains, each ending with 1.1 T
};
RnnTask make_rnn_task(const RnnConfig& c);

// p = [w (N x (N - 1), row i without its diagonal), V0 (N), I0 (N)].
int rnn_param_count(const RnnConfig& c);
std::vector<double> rnn_initial_params(const RnnConfig& c);
QifTrialSpec rnn_spec(const RnnConfig& c, const RnnTask& task, const std::vector<double>& p, bool with_tangents);

struct RnnEval {
    double loss = 0;
    std::vector<std::vector<double>> t_out;  // per target neuron
    std::vector<double> grad;                // empty without tangents
    QifTrial trial;
};
RnnEval rnn_eval(const RnnConfig& c, const RnnTask& task, const std::vector<double>& p, bool with_gradient);

struct RnnRun {
    std::vector<double> loss;                       // Ntrial + 1
    std::vector<std::vector<double>> t_out;          // per target neuron: trials x targets
    std::vector<double> p_initial, p_final;
    QifTrial first, last;                            // trials 0 and Ntrial (rasters)
};
RnnRun train_rnn(const RnnConfig& c, const std::function<void(int)>& between_trials = {});

}  // namespace sr::spikegd
