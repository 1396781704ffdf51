#pragma once
// e2l-cgp-snn's reward-driven task (Fig. 3; experiments/reward_based/sim.py with the usrl_synapse
// module and the repository's NEST patch): one escape-noise iaf_psc_exp neuron learns to spike for
// the patterns labelled +1 and stay silent for those labelled -1; after every 500 ms trial each
// plastic synapse changes by learning_rate * f(R, E) with the trial's reward R and the synapse's
// eligibility trace E. docs/e2l.md ("Model e2l.reward") derives the event-driven form used here.
#include "core/models/e2l/nest_like.hpp"
#include "core/symbolic/expression.hpp"

#include <cstdint>
#include <functional>
#include <vector>

namespace sr::e2l {

struct RewardConfig {
    double resolution = 0.01;  // ms
    double duration = 500.0;   // ms per trial (stimulus_duration)
    double delay = 1.0;        // ms: spike_generator -> parrot and parrot -> neuron (NEST defaults)
    // iaf_psc_exp as sim.py creates it: rho, delta and E_L set, the rest NEST defaults.
    double tau_m = 10.0, C_m = 250.0, tau_syn = 2.0, t_ref = 2.0;
    double E_L = -70.0, V_th = -55.0, V_reset = -70.0;
    double rho = 0.01;   // 1/s
    double delta = 0.2;  // mV
    // usrl_synapse's own constants (usrl_connection.h); its PSP uses tau_syn, tau_m and C_m above,
    // which the module hard-codes to the same NEST defaults.
    double tau_E = 500.0;  // ms, eligibility trace
    double syn_Theta = -55.0, syn_rho = 0.01, syn_delta = 5.0;
    double learning_rate = 10.0;
};

// One pattern as the plastic synapses see it: the distinct steps at which some connection's
// synaptic current receives a spike (ascending), and the connections (slots) arriving at each.
struct RewardPattern {
    std::vector<std::int32_t> steps;
    std::vector<std::int32_t> offsets{0};  // slots of steps[i]: slots[offsets[i] .. offsets[i+1])
    std::vector<std::int32_t> slots;
};

struct RewardExperiment {
    std::vector<RewardPattern> patterns;
    std::vector<double> labels;               // per pattern, +1 or -1
    std::vector<double> initial_weights;      // per connection, pA
    std::vector<std::int32_t> pattern_order;  // pattern of each trial
};

struct RewardOutcome {
    std::vector<std::int8_t> rewards;  // per trial
    std::int64_t spikes = 0;           // output spikes over all trials
    std::vector<double> weights;       // after the last trial
};

// A pattern's spike-generator trains (times in ms, relative to the trial start) as arrivals of
// the connected inputs: connected[i] is input i's slot or -1. Two spikes of one input in the same
// step arrive once (the time-driven parrot marks a step, it does not count spikes).
RewardPattern make_reward_pattern(const std::vector<std::vector<double>>& trains, const std::vector<std::int32_t>& connected,
                                  const RewardConfig& config);

class RewardTask {
public:
    // noise_uniforms: one uniform in (0, 1) per step, the neuron's escape-noise draws; the same
    // draws serve every trial (NEST resets its generator to the default seed in every trial).
    RewardTask(const RewardConfig& config, const std::vector<double>& noise_uniforms);

    std::int64_t steps_per_trial() const { return n_steps_; }

    // All trials of one experiment. `rule_uses_trace` false skips the eligibility traces (the
    // rule ignores x_1; the rewards are the same). `progress` gets the fraction done and may throw.
    RewardOutcome run(const RewardExperiment& experiment, const symbolic::Evaluator& rule, bool rule_uses_trace,
                      const std::function<void(double)>& progress) const;

private:
    struct Scratch;
    bool simulate_neuron(const RewardPattern& pattern, const std::vector<double>& weights, Scratch& s) const;
    void eligibility(const RewardPattern& pattern, Scratch& s) const;

    RewardConfig config_;
    std::int64_t n_steps_ = 0;        // steps per trial
    std::int64_t delay_steps_ = 0;    // min delay
    std::int64_t last_update_ = 0;    // last step whose synapse update NEST runs in the trial
    std::int64_t refractory_steps_ = 0;
    double V_reset_ = 0.0;            // relative to E_L
    double P11_ = 0.0, P22_ = 0.0, P21_ = 0.0, alpha_ = 0.0, PE_ = 0.0;
    double trace_scale_ = 0.0;        // (1 - PE) / delta * 1e9
    std::vector<double> threshold_;   // per step: the neuron spikes iff V_m (rel. E_L) > threshold
    // Powers by block offset: P22^r, P11^r and (P/PE)^r for r in [0, kBlock].
    std::vector<double> pow22_, pow11_, rpow22_, rpow11_;
};

}  // namespace sr::e2l
