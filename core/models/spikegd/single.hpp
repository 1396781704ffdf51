#pragma once
// spikegd's single-neuron experiment (experiments/singleneuron/single.py): one QIF neuron with Nin
// inputs, of which the first Ntrain have trainable weights and times, learns output spike times.
// Clipped SGD (optax clip + sgd); trained times are clipped to [0, T] after every update.
#include "core/models/spikegd/qif.hpp"
#include "core/models/spikegd/qif_network.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace sr::spikegd {

struct SingleConfig {
    std::uint64_t seed = 3;
    QifParams neuron;
    int Nin = 22;
    int Ntrain = 2;
    double T = 10.0;
    int K = 25;
    std::vector<double> t_targets{2.5, 7.5};
    std::vector<double> t_init{1.0, 9.0};  // initial times of the trained inputs (weights start at 0)
    int Ntrial = 3000;
    double lr = 0.1;
    double clip = 0.02;
};

// The fixed inputs drawn from the seed (JAX's generator, as the reference).
struct SingleTask {
    std::vector<double> times;    // Nin - Ntrain
    std::vector<double> weights;  // Nin - Ntrain
};
SingleTask make_single_task(const SingleConfig& c);

// p = [w_1..w_Ntrain, t_1..t_Ntrain].
QifTrialSpec single_spec(const SingleConfig& c, const SingleTask& task, const std::vector<double>& p,
                         bool with_tangents);

struct SingleEval {
    double loss = 0;
    std::vector<double> t_out;
    std::vector<double> grad;  // dL/dp
    QifTrial trial;
};
SingleEval single_eval(const SingleConfig& c, const SingleTask& task, const std::vector<double>& p);

struct SingleRun {
    std::vector<double> loss;   // per trial
    std::vector<double> t_out;  // trials x targets
    std::vector<double> p;      // trials x 2 Ntrain, before the trial's update
    std::vector<double> grad;   // trials x 2 Ntrain
    std::vector<double> p_final;
};
// `between_trials` is called before every trial (cancellation, progress); may be empty.
SingleRun train_single(const SingleConfig& c, const std::function<void(int)>& between_trials = {});

}  // namespace sr::spikegd
