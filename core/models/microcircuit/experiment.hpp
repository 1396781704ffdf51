#pragma once
// The teacher-student experiment of sal-code's experiment.py: a teacher network with fixed weights
// turns every input pattern into a target potential; a student learns to reproduce the targets
// over epochs of (shuffled) training patterns, the last len_symmetrization of which are
// symmetrization phases, followed by validation patterns that measure the loss.
#include "core/models/microcircuit/config.hpp"
#include "core/run_context.hpp"

#include <cstdint>
#include <vector>

namespace sr::microcircuit {

enum class Phase : std::int64_t { training = 0, symmetrization = 1, validation = 2 };

// The order in which the student sees the patterns.
struct Schedule {
    std::vector<std::size_t> pattern;  // index into the training or validation inputs
    std::vector<Phase> phase;
};

// Per epoch: len_epoch training indices (drawn with replacement when shuffling, else cycling
// through the list), the last len_symmetrization of them marked symmetrization, then
// len_validation validation indices (same rule).
Schedule make_schedule(const SimulationSettings& settings, std::size_t num_train,
                       std::size_t num_validation);

// Per layer {w_up, w_down} uniform in the limits, drawn layer by layer (w_up, then w_down for
// hidden layers) from the weights_init_seed stream.
std::vector<LayerWeights> draw_random_weights(const InitialParameters& init,
                                              const std::vector<std::size_t>& dims,
                                              std::uint64_t seed);

// Squared error averaged over the output neurons.
double pattern_loss(const std::vector<double>& u_out, const std::vector<double>& target);

struct TeacherResult {
    std::vector<std::vector<double>> train_targets;
    std::vector<std::vector<double>> validation_targets;
};

TeacherResult run_teacher(const Experiment& e, const RunContext& context);

struct StudentResult {
    std::vector<double> validation_loss;  // per epoch
    // weights[e][k-1]: after epoch e (e = 0: initial), layer k; w_down empty for the output layer.
    std::vector<std::vector<Matrix>> w_up;
    std::vector<std::vector<Matrix>> w_down;
    Schedule schedule;
    std::vector<std::vector<double>> u_out;     // per presented pattern
    std::vector<std::vector<double>> u_target;  // per presented pattern
    // rates[p][k]: spikes per t_ref of the pyramids of layer k (0: input) during pattern p;
    // inn_rates[p][k-1]: the interneurons of hidden layer k.
    std::vector<std::vector<std::vector<double>>> rates;
    std::vector<std::vector<std::vector<double>>> inn_rates;
    std::vector<LayerWeights> initial_weights;  // as drawn or given, before the feedback setup
};

// Checks for cancellation and reports progress after every pattern.
StudentResult run_student(const Experiment& e, const TeacherResult& teacher, const RunContext& context);

// Total simulated steps (teacher + student), for cost estimates and the benchmark.
std::int64_t total_steps(const Experiment& e);

}  // namespace sr::microcircuit
