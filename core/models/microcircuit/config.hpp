#pragma once
// Typed configuration of the microcircuit model, parsed from the nested parameter object (the shape
// of the published sal-code yaml files: network_properties, teacher_*, student_*, u_input).
#include "core/params.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sr::microcircuit {

// Dense row-major matrix; the networks are small (the published one is 1-1-1), so plain loops
// beat a general linear-algebra library here.
struct Matrix {
    std::size_t rows = 0;
    std::size_t cols = 0;
    std::vector<double> values;

    Matrix() = default;
    Matrix(std::size_t rows, std::size_t cols, double fill = 0.0)
        : rows(rows), cols(cols), values(rows * cols, fill) {}
    double& operator()(std::size_t r, std::size_t c) { return values[r * cols + c]; }
    double operator()(std::size_t r, std::size_t c) const { return values[r * cols + c]; }
};

struct NetworkConfig {
    std::vector<std::size_t> dims;  // input, hidden..., output (at least one hidden layer)
    double lambda_api = 0.02;       // apical coupling of hidden pyramidal somata
    double lambda_nudge = 0.6;      // nudging strength of the output towards the target
    std::int64_t learning_lag = 2000;  // steps at the start of a pattern without plasticity/readout
    std::vector<double> lr_up;         // per layer 1..L
    std::vector<double> lr_down;       // per hidden layer 1..L-1
    std::size_t n_last_spikes = 1;     // spikes per neuron that PSPs and STDP traces see
    std::size_t moving_average_size = 2000;
    double stdp_a_causal = -1.0;
    double stdp_a_anticausal = 1.0;
    double stdp_tau_causal = 10.0;
    double stdp_tau_anticausal = 10.0;
    std::int64_t t_ref = 10;    // absolute refractory period, steps
    std::int64_t tau_syn = 10;  // length of the rectangular PSP, steps

    std::size_t num_layers() const { return dims.size() - 1; }  // L: layers with weights
};

// Weights for one layer; absent entries keep their current value (zero for a fresh network).
struct LayerWeights {
    std::optional<Matrix> w_up;
    std::optional<Matrix> w_down;  // hidden layers only
    std::optional<Matrix> w_pi;    // hidden layers only
    std::optional<Matrix> w_ip;    // hidden layers only
};

struct InitialParameters {
    std::vector<std::vector<double>> bias;  // per layer 1..L, expanded to the layer's size
    std::optional<std::vector<LayerWeights>> weights;  // explicit weights win over random ones
    // Uniform limits of the random initialisation (used when `weights` is absent).
    double up_low = -3.0, up_high = 3.0;
    double down_low = -3.0, down_high = 3.0;
};

struct SimulationSettings {
    std::int64_t t_pattern = 2000;  // presentation time in units of t_ref
    std::int64_t len_epoch = 20;
    std::int64_t len_validation = 6;
    std::int64_t len_symmetrization = 0;
    std::int64_t num_epochs = 1;
    std::uint64_t poisson_seed = 0;
    std::uint64_t training_seed = 0;
    std::optional<std::uint64_t> weights_init_seed;
    bool shuffle_training = true;
    bool shuffle_validation = false;
    bool set_sps = true;      // keep interneurons in the self-predicting state
    bool update_down = true;  // false: feedback weights copy the forward ones (backprop)
};

struct Experiment {
    NetworkConfig network;
    InitialParameters teacher;
    InitialParameters student;
    SimulationSettings teacher_settings;
    SimulationSettings student_settings;
    std::vector<std::vector<double>> train_inputs;  // each expanded to dims[0]
    std::vector<std::vector<double>> validation_inputs;
};

// Parses and checks everything the schema cannot; throws ParamError naming the dotted key.
Experiment parse_experiment(const Params& params);

}  // namespace sr::microcircuit
