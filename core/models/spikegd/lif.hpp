#pragma once
// spikegd's LIF neuron (spikegd/lif.py), tau dV/dt = -V + I with the current decaying at tau/2,
// reset to 0 at the threshold V_th, for the concept figure's comparison with the QIF neuron: a
// single neuron at rest, its first output spike time and the derivative with respect to one input's
// weight or time. Unlike the QIF neuron its spike time jumps where a spike appears.
#include <limits>
#include <vector>

namespace sr::spikegd {

struct LifParams {
    double tau = 1.0;
    double V_th = 1.0;
};

// An input spike; d_time and d_weight are the derivatives of time and weight w.r.t. the parameter.
struct LifInput {
    double time;
    double weight;
    double d_time = 0;
    double d_weight = 0;
};

struct LifSpike {
    double t_out = std::numeric_limits<double>::infinity();  // first output spike; inf: none
    double grad = 0;                                          // its derivative (0 without a spike)
};

// Time to the next spike from (V, I) (infinity without one), with its partials w.r.t. V and I.
struct LifDt {
    double v;
    double dV;
    double dI;
};
LifDt lif_dt_spike(const LifParams& q, double V, double I);

// The state after an event, for voltage traces.
struct LifState {
    double t, V, I;
};

// The trial from V = I = 0 up to T with at most K events (inputs and spikes; an
// EventLimitExceeded names K when they do not reach T, as the QIF loop). `states`, if given,
// receives the state after every event before T.
LifSpike lif_first_spike(const LifParams& q, std::vector<LifInput> inputs, double T, int K,
                         std::vector<LifState>* states = nullptr);

// V at time dt after the state (V, I).
double lif_flow_V(const LifParams& q, double V, double I, double dt);

// The weight at which a neuron at rest just reaches the threshold (4 V_th).
inline double lif_min_I0_to_spike(const LifParams& q) { return 4 * q.V_th; }

}  // namespace sr::spikegd
