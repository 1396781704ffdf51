#pragma once
// The ssn parameters (sal-code's exp.yaml, read once into a typed struct) and the seeded draws of
// train_bm.py: target Boltzmann machine, initial network and per-synapse STDP amplitudes.
#include "core/models/ssn/types.hpp"
#include "core/params.hpp"

#include <cstdint>
#include <optional>

namespace sr::ssn {

struct StdpRuleParams {
    double a_plus = 1.0;
    double a_minus = 1.0;
    double tau_plus = 50.0;
    double tau_minus = 50.0;
    double noise = 0.0;
    std::optional<Matrix> a_plus_matrix;   // explicit effective amplitudes replace the draws
    std::optional<Matrix> a_minus_matrix;
};

struct SsnConfig {
    int dim = 7;
    std::uint64_t seed_distr = 0;
    std::uint64_t seed_init = 0;
    std::uint64_t seed_sim = 0;
    double distr_alpha = 1.0;
    double distr_beta = 1.0;
    int t_ref = 50;
    double tau_syn = 50.0;
    std::int64_t num_epochs = 0;
    std::int64_t val_step = 2;
    std::int64_t val_factor = 1;
    double lr_bias = 0.0;
    double lr_weight = 0.0;
    double lr_symm = 0.0;
    std::int64_t dur = 1;  // epoch length in units of t_ref
    double init_noise = 0.0;
    double weight_init = 0.0;
    double bias_init = 0.0;
    double max_w = 2.0;
    double max_b = 2.0;
    int stdp_num_last_spikes = 1;
    StdpRuleParams ws;
    StdpRuleParams sal;
    std::optional<Matrix> w_target;
    std::optional<Vector> b_target;
    std::optional<Matrix> w_init;
    std::optional<Vector> b_init;

    // Reads resolved parameters; throws ParamError for shapes or combinations the schema cannot
    // express (explicit matrices of the wrong size, PSP windows beyond the simulator's memory).
    static SsnConfig from_params(const Params& params);

    std::int64_t epoch_steps() const { return dur * t_ref; }
    bool is_validation_epoch(std::int64_t epoch) const {
        // The reference never validates when val_step is 1; the schema requires val_step ≥ 2.
        return epoch % val_step == 0;
    }
    std::int64_t epoch_duration(std::int64_t epoch) const {
        return epoch_steps() * (is_validation_epoch(epoch) ? val_factor : 1);
    }
    std::int64_t num_validations() const { return num_epochs == 0 ? 0 : (num_epochs - 1) / val_step + 1; }
    std::int64_t total_steps() const {
        return num_epochs * epoch_steps() + num_validations() * (val_factor - 1) * epoch_steps();
    }
};

// What the seeded draws produce (or the explicit values that replace them).
struct SsnProblem {
    Matrix w_target;
    Vector b_target;
    Matrix w_init;
    Vector b_init;
    // Effective amplitudes, entry (i, j) for post neuron i, pre neuron j.
    Matrix ws_a_plus;
    Matrix ws_a_minus;
    Matrix sal_a_plus;
    Matrix sal_a_minus;
};

// The draws in train_bm.py's order, from Rng{seed.distr, ·} (target) and Rng{seed.init, ·}
// (initial network and amplitudes). An explicit value replaces its draw, but the draw is still
// made, so giving one quantity explicitly leaves all others unchanged.
SsnProblem make_problem(const SsnConfig& config);

}  // namespace sr::ssn
