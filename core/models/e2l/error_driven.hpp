#pragma once
// The error-driven task of e2l-cgp-snn (Fig. 4; experiments/error_driven/sim.py): 5 Poisson
// inputs drive a teacher iaf_psc_exp through fixed weights and a student through
// us_sympy_synapses whose rule f(x_0 = teacher potential, x_1 = student potential, x_2 = PSP)
// is evolved; the fitness is minus the L2 distance of the two membrane traces. docs/e2l.md.
#include "core/models/e2l/nest_like.hpp"
#include "core/models/e2l/spike_input.hpp"
#include "core/rng.hpp"
#include "core/symbolic/expression.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace sr::e2l {

struct ErrorDrivenConfig {
    double resolution = 0.01;   // ms
    double t_sim = 10000.0;     // ms, after the first Simulate(resolution)
    double t_sim_step = 5.0;    // ms: u_target is read and Simulate called every t_sim_step
    double delay = 1.0;         // ms, every connection (NEST default); also the min-delay slice
    double record_interval = 1.0;  // ms, multimeter
    double error_offset = 1000.0;  // ms of samples skipped by the error (0.1 t_sim)
    // Both neurons: iaf_psc_exp with NEST defaults.
    double tau_m = 10.0, C_m = 250.0, tau_syn = 2.0, E_L = -70.0;
    // us_sympy_synapse: its own PSP model (hard-coded in the module) and the task's settings.
    double psp_tau_syn = 2.0, psp_tau_m = 10.0, psp_C = 250.0;
    double tau_I = 100.0;  // ms (sim.py)
    double eta = 1.7;
    double initial_weight = 5.0;  // student synapses
};

// One trial's input as the neurons see it: the parrot relay steps (spike_generator step + delay
// - 1) of every input with NEST's delivery effects applied, plus the teacher's weights.
struct ErrorDrivenInput {
    std::vector<GridEvent> relays;  // by step, then input; at most one per (step, input)
    std::int32_t n_inputs = 0;
    std::vector<double> teacher_weights;
};

// Applies the two delivery effects of the reference's NEST run: spikes of one input in one step
// leave the time-driven parrot as one (its activity flag is 0/1), and a relay on the step that
// ends a Simulate(t_sim_step) call inside a min-delay slice is lost (the next call's update of
// that slice overwrites the parrot's secondary event; the teacher's spike is lost as well).
ErrorDrivenInput prepare_error_input(const SpikeTrains& trains, std::vector<double> teacher_weights,
                                     const ErrorDrivenConfig& config);

// The teacher's membrane potential (mV, absolute): the value read as u_target before each
// Simulate call, and the multimeter samples. Independent of the rule, so computed once a trial.
struct TeacherTrace {
    std::vector<double> u_target;  // per call k: V_m after step k * steps(t_sim_step)
    std::vector<double> samples;   // V_m at record_interval, 2 record_interval, ...
};
TeacherTrace run_teacher(const ErrorDrivenConfig& config, const ErrorDrivenInput& input);

struct ErrorDrivenOutcome {
    double error = 0.0;             // sqrt(sum of squared sample differences after error_offset)
    std::vector<double> samples;    // student V_m (with record_traces)
    std::vector<double> weights;    // inputs x (t_sim / t_sim_step + 1), row per call (with record_traces)
};

// Called every simulated second with the fraction of the trial done; may throw to cancel.
using ErrorTrialProgress = std::function<void(double)>;

// The rule is compiled over (x_0, x_1, x_2) = (u_target, u, PSP).
ErrorDrivenOutcome run_error_trial(const ErrorDrivenConfig& config, const symbolic::Evaluator& rule,
                                   const ErrorDrivenInput& input, const TeacherTrace& teacher,
                                   bool record_traces, const ErrorTrialProgress& progress = {});

// New inputs in sim.py's construction (rates uniform in [rate_low, rate_high] Hz, Poisson spike
// times on (resolution, t_sim) floored to the grid, teacher weights uniform in
// [weight_low, weight_high] + shift pA), drawn from our generator instead of numpy's.
struct ErrorTaskParams {
    int n_inputs = 5;
    double t_sim = 10000.0;
    double resolution = 0.01;
    double rate_low = 150.0, rate_high = 850.0;
    double weight_low = -20.0, weight_high = 20.0, weight_shift = 15.0;
};
struct GeneratedErrorInput {
    SpikeTrains trains;
    std::vector<double> teacher_weights;
};
GeneratedErrorInput generate_error_input(const ErrorTaskParams& params, Rng& rng);

}  // namespace sr::e2l
