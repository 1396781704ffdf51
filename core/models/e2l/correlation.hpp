#pragma once
// The correlation-driven task of e2l-cgp-snn (Fig. 5; experiments/correlation_based/): 1000
// inputs with a frozen pattern embedded every 500 ms drive one iaf_psc_delta neuron through
// stdp_sympy_synapses for T_learn; the learned weights then drive a neuron with a very high
// threshold for T_snr, and the fitness is its membrane signal-to-noise ratio. docs/e2l.md.
#include "core/models/e2l/nest_like.hpp"
#include "core/models/e2l/spike_input.hpp"
#include "core/models/e2l/stdp_sympy.hpp"
#include "core/rng.hpp"

#include <algorithm>
#include <functional>
#include <span>

namespace sr::e2l {

struct CorrelationConfig {
    double resolution = 0.1;     // ms (NEST's default)
    double T_learn = 100000.0;   // ms
    double T_snr = 11000.0;      // ms
    double V_th_snr = 20000.0;   // mV: the SNR neuron never spikes
    double input_delay = 1.0;    // ms, spike_generator -> parrot_neuron (static synapse default)
    double tau_minus = 20.0;     // ms, the neuron's STDP trace (Archiving_Node default)
    IafPscDeltaParams neuron;    // from_params sets the task's E_L, V_reset, V_th, tau_m
    StdpSympyParams synapse;
    // Stimulus windows [start, stop) of the SNR: voltmeter samples inside count as stimulus,
    // all others as "inter". Windows without samples are skipped.
    std::vector<double> window_start, window_stop;
    int snr_ddof = 1;  // pandas' std in the evolution, numpy's (0) in the validation
};

// One trial's inputs and initial state.
struct CorrelationTrial {
    std::span<const GridEvent> events;  // the input spikes on the grid (borrowed)
    std::int32_t n_inputs = 0;
    double w0 = 0.0;              // initial weight of every synapse
    double V_m_init_learn = 0.0;  // mV
    double V_m_init_snr = 0.0;
};

struct CorrelationOutcome {
    double snr = 0.0;
    std::int64_t post_spikes = 0;  // during learning
    std::vector<double> weights;   // after learning
};

// Called every simulated second with the fraction of the trial done; may throw to cancel.
using TrialProgress = std::function<void(double)>;

CorrelationOutcome run_correlation_trial(const CorrelationConfig& config, const StdpSympyRule& rule,
                                         const CorrelationTrial& trial, const TrialProgress& progress = {});

// The SNR of a voltage trace as the reference computes it, from samples added in time order:
// mean over the windows holding samples of (max V in window - mean V_inter) / std V_inter,
// where "inter" are all samples outside every window. Windows are ascending and disjoint.
class MembraneSnr {
public:
    MembraneSnr(const std::vector<double>& window_start, const std::vector<double>& window_stop, int ddof);
    void add(double t, double V) {
        while (w_ < start_.size() && !(t < stop_[w_])) ++w_;
        if (w_ < start_.size() && t >= start_[w_]) {
            vmax_[w_] = sampled_[w_] ? std::max(vmax_[w_], V) : V;
            sampled_[w_] = 1;
        } else {
            inter_.push_back(V);
        }
    }
    double value() const;

private:
    const std::vector<double>& start_;
    const std::vector<double>& stop_;
    int ddof_;
    std::size_t w_ = 0;
    std::vector<double> vmax_;
    std::vector<char> sampled_;
    std::vector<double>& inter_;  // this thread's scratch: no page faults per trial
};

// New inputs in the reference's construction (sim_utils.py: create_frozen_noise, then
// build_poisson_input in "regular" mode), drawn from our generator instead of numpy's.
struct PatternTaskParams {
    int n_inputs = 1000;
    double T = 100000.0;       // ms
    double T_stim = 100.0;     // ms, pattern length
    double T_inter = 400.0;    // ms between patterns
    double rate = 3.0;         // Hz, background rate
};
struct GeneratedInput {
    SpikeTrains trains;
    std::vector<double> window_start, window_stop;  // main.py's evolution windows
};
GeneratedInput generate_pattern_input(const PatternTaskParams& params, Rng& rng);

}  // namespace sr::e2l
