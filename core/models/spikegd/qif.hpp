#pragma once
// The QIF neuron of chklos/spikegd (spikegd/qif.py): tau dV/dt = V (V - 1) + I with a synaptic
// current decaying at tau/2, in closed form. Every function returns its value together with its
// local partial derivatives, which the event loop chains into exact gradients.
#include <cmath>
#include <limits>

namespace sr::spikegd {

// How the I == 0 branch is differentiated. `reference`: as the JAX code does (value from the
// I = 0 formula, derivative from the I > 0 formula at I = 1e-6); `exact`: the derivative of the
// closed form itself, including its exact limit d/dI at I = 0. Trajectories depend on the choice.
enum class GradientRule { reference, exact };

struct QifParams {
    double tau = 1.0;
    double eps = 1e-6;
    double alpha = 10.0;  // softplus scale of the pseudodynamics
    GradientRule rule = GradientRule::exact;
};

// A value with its partial derivatives with respect to up to three local inputs.
struct Local {
    double v = 0;
    double d[3] = {0, 0, 0};
};

// V after a time dt from (V, I); partials with respect to (V, I, dt).
Local qif_flow_V(const QifParams& q, double V, double I, double dt);
// The time to the next spike from (V, I) (infinity without one); partials with respect to (V, I).
Local qif_dt_spike(const QifParams& q, double V, double I);
// Pseudospike time T + k Theta(I_p) - phi(V, I_p) with I_p = I + input; partials w.r.t. (V, I_p).
Local qif_t_pseudo(const QifParams& q, double V, double I_pseudo, double k, double T);
// The pseudo "rate" phi(V, I_p) / Theta(I_p); partials w.r.t. (V, I_p).
Local qif_pseudo_rate(const QifParams& q, double V, double I_pseudo);

// The minimal input weight that makes a neuron at rest spike (pi^2 / 4).
inline double qif_min_I0_to_spike() { return M_PI * M_PI / 4; }

}  // namespace sr::spikegd
