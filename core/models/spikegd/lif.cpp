#include "core/models/spikegd/lif.hpp"

#include "core/models/spikegd/qif_network.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace sr::spikegd {

LifDt lif_dt_spike(const LifParams& q, double V, double I) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    if (!(I > 0)) return {inf, 0, 0};
    // V(t) = V e^-t + I (e^-t - e^-2t) reaches V_th where x = e^-t solves I x^2 - (V + I) x + V_th = 0.
    const double root_arg = (V + I) * (V + I) - 4 * I * q.V_th;
    if (!(root_arg > 0)) return {inf, 0, 0};
    const double r = std::sqrt(root_arg);
    const double x = (V + I + r) / (2 * I);
    if (!(x > 0 && x < 1)) return {inf, 0, 0};
    // d x / dV = (1 + (V + I) / r) / (2 I); d x / dI = (1 + (V + I - 2 V_th) / r) / (2 I) - x / I.
    const double dx_dV = (1 + (V + I) / r) / (2 * I);
    const double dx_dI = (1 + (V + I - 2 * q.V_th) / r) / (2 * I) - x / I;
    return {-q.tau * std::log(x), -q.tau / x * dx_dV, -q.tau / x * dx_dI};
}

double lif_flow_V(const LifParams& q, double V, double I, double dt) {
    const double e = std::exp(-dt / q.tau);
    return V * e + I * (e - std::exp(-2 * dt / q.tau));
}

LifSpike lif_first_spike(const LifParams& q, std::vector<LifInput> inputs, double T, int K,
                         std::vector<LifState>* states) {
    std::stable_sort(inputs.begin(), inputs.end(), [](const LifInput& a, const LifInput& b) { return a.time < b.time; });
    // Values and derivatives (with respect to the one parameter) of t, V, I.
    double t = 0, dt_ = 0, V = 0, dV = 0, I = 0, dI = 0;
    std::size_t counter = 0;
    LifSpike first;
    for (int k = 0; k < K; ++k) {
        const LifDt net = lif_dt_spike(q, V, I);
        const double d_net = net.dV * dV + net.dI * dI;
        const double dt_in = counter < inputs.size() ? inputs[counter].time - t : std::numeric_limits<double>::infinity();
        const bool spike_in = dt_in < net.v;
        double step = spike_in ? dt_in : net.v;
        double d_step = spike_in ? inputs[counter].d_time - dt_ : d_net;
        const bool spike_trial = step < T - t;
        if (!spike_trial) return first;  // the trial end: no further spike before T
        t += step;
        dt_ += d_step;
        const double e = std::exp(-step / q.tau), e2 = std::exp(-2 * step / q.tau);
        const double V_new = V * e + I * (e - e2);
        const double dV_dstep = (-V * e + I * (-e + 2 * e2)) / q.tau;
        dV = e * dV + (e - e2) * dI + dV_dstep * d_step;
        dI = e2 * dI - 2 / q.tau * I * e2 * d_step;
        V = V_new;
        I *= e2;
        if (spike_in) {
            I += inputs[counter].weight;
            dI += inputs[counter].d_weight;
            ++counter;
        } else {
            if (std::isinf(first.t_out)) first = {t, dt_};
            V = 0;  // reset
            dV = 0;
        }
        if (states) states->push_back({t, V, I});
    }
    throw EventLimitExceeded("K = " + std::to_string(K) + " events do not reach the trial end T = " +
                             std::to_string(T) + " (the reference returns NaN times); increase K");
}

}  // namespace sr::spikegd
