#pragma once
// Model eisys: small networks of stochastic spiking neurons, simulated by ssn's time-stepped
// sampler (sal-code's sim_poisson_neurons), either an explicit network (W[post, pre], b) or the
// Dale's-law E-I preset of neuralsampling/eisystem.py: two excitatory neurons e1, e2 coupled
// directly (e2_e1, e1_e2) and through one inhibitory neuron each (e1 → i1 → e2, e2 → i2 → e1).
// One run measures rates, STDP and timing histograms (measures.hpp); with learn.epochs > 0 it
// runs SAL instead (Fig. 2d): per epoch a simulation and W += lr · mask ∘ pairbased_stdp.
#include "core/models/eisys/measures.hpp"
#include "core/models/ssn/types.hpp"
#include "core/params.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace sr::eisys {

using ssn::Vector;

// Where the E-I preset's named weights sit in W[post, pre] (EISystem.CONNECTIONS) and its
// neurons in b (EISystem.NEURONS).
inline constexpr const char* kEiNeurons[4] = {"e1", "e2", "i1", "i2"};
struct EiConnection {
    const char* name;
    int post;
    int pre;
};
inline constexpr EiConnection kEiConnections[6] = {{"e2_e1", 1, 0}, {"e1_e2", 0, 1}, {"i1_e1", 2, 0},
                                                   {"i2_e2", 3, 1}, {"e2_i1", 1, 2}, {"e1_i2", 0, 3}};

// The mean-field effective weight of an E→E connection with a disynaptic inhibitory pathway
// (EISystem._calc_eff_weight): W_ee + W_ei · σ(W_ie · r + b_i) / r, r = σ(b_e) the presynaptic
// excitatory neuron's rate.
double effective_weight(double w_ee, double w_ie, double w_ei, double b_i, double b_e);

enum class Generator { own, numpy_legacy };

struct EisysConfig {
    bool ei_preset = true;
    Matrix w;
    Vector b;
    std::vector<std::string> names;  // neuron names for metrics
    int t_ref = 25;
    double tau_syn = 25.0;
    std::int64_t steps = 20000;
    std::uint64_t seed = 1;
    Generator generator = Generator::own;
    MeasureConfig measures;
    int learn_epochs = 0;
    double learn_lr = 0.03;
    Matrix learn_mask;

    static EisysConfig from_params(const Params& params);
    int dim() const { return static_cast<int>(b.size()); }
};

struct EisysRun {
    SpikeMeasures measures;  // of the (last) simulation
    std::vector<Matrix> weights;  // learning: W before the first and after every epoch
};

// The simulation (and learning) a job runs. keep_spikes: also store the last simulation's spikes.
EisysRun run_eisys(const EisysConfig& config, bool keep_spikes = false);

// pairbased_stdp / T · t_ref, the SAL update of one epoch (sal_epoch in ppd.ipynb).
Matrix sal_update(const SpikeMeasures& measures, std::int64_t steps, int t_ref);

}  // namespace sr::eisys
