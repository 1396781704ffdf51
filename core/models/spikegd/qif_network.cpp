#include "core/models/spikegd/qif_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sr::spikegd {

namespace {

constexpr double inf = std::numeric_limits<double>::infinity();

}  // namespace

QifTrial simulate_qif(const QifParams& q, const QifTrialSpec& s) {
    const int N = s.N, P = s.P;
    const std::size_t NP = static_cast<std::size_t>(N) * P;
    // Without tangents (P = 0) every quantity is a constant.
    auto param = [P](const std::vector<ParamIndex>& v, std::size_t i) { return P == 0 || v.empty() ? -1 : v[i]; };

    std::vector<QifInput> in = s.inputs;
    std::stable_sort(in.begin(), in.end(), [](const QifInput& a, const QifInput& b) { return a.time < b.time; });

    std::vector<double> V = s.V0, I = s.I0;
    std::vector<double> dV(NP, 0.0), dI(NP, 0.0);
    for (int i = 0; i < N; ++i) {
        if (const int p = param(s.V0_param, i); p >= 0) dV[i * P + p] = 1;
        if (const int p = param(s.I0_param, i); p >= 0) dI[i * P + p] = 1;
    }
    // Pending spike times. Their tangent is kept lazily as the partials (gV, gI) against the
    // neuron's current state tangent, or explicitly once the neuron is masked (counted down).
    std::vector<double> dt_net(N), gV(N), gI(N);
    std::vector<char> explicit_tan(N, 0);
    std::vector<double> dtn_tan(NP, 0.0);
    auto set_pending = [&](int i) {
        const Local l = qif_dt_spike(q, V[i], I[i]);
        dt_net[i] = l.v;
        gV[i] = l.d[0];
        gI[i] = l.d[1];
        explicit_tan[i] = 0;
    };
    auto pending_tangent = [&](int i, double* out) {
        if (explicit_tan[i]) {
            std::copy_n(&dtn_tan[i * P], P, out);
            return;
        }
        for (int k = 0; k < P; ++k) out[k] = gV[i] * dV[i * P + k] + gI[i] * dI[i * P + k];
    };
    for (int i = 0; i < N; ++i) set_pending(i);

    QifTrial out;
    out.spike_times.resize(N);
    out.spike_tangents.resize(N);
    std::vector<double> g_t(P, 0.0), g_dt(P, 0.0);
    std::vector<char> mask(N);
    double t = 0;
    std::size_t counter = 0;
    for (int k = 0; k < s.K; ++k) {
        const int j_net = static_cast<int>(std::min_element(dt_net.begin(), dt_net.end()) - dt_net.begin());
        const double dt_net_j = dt_net[j_net];
        const double t_in = counter < in.size() ? in[counter].time : inf;
        const double dt_in = t_in - t;
        const bool spike_in = dt_in < dt_net_j;
        double dt = spike_in ? dt_in : dt_net_j;
        const bool spike_trial = dt < s.T - t;
        if (spike_trial) {
            if (spike_in) {
                for (int p = 0; p < P; ++p) g_dt[p] = -g_t[p];
                if (P > 0 && in[counter].time_param >= 0) g_dt[in[counter].time_param] += 1;
            } else {
                pending_tangent(j_net, g_dt.data());
            }
        } else {
            dt = s.T - t;
            for (int p = 0; p < P; ++p) g_dt[p] = -g_t[p];
        }
        t += dt;
        for (int p = 0; p < P; ++p) g_t[p] += g_dt[p];

        // Neurons within eps of spiking are held (V = 1/eps) and their pending time counted down.
        for (int i = 0; i < N; ++i) mask[i] = std::abs(dt_net[i] - dt) < q.eps;
        for (int i = 0; i < N; ++i) {
            if (!mask[i]) continue;
            if (!explicit_tan[i]) {
                pending_tangent(i, &dtn_tan[i * P]);
                explicit_tan[i] = 1;
            }
            for (int p = 0; p < P; ++p) dtn_tan[i * P + p] -= g_dt[p];
            dt_net[i] -= dt;
        }
        const double e2 = std::exp(-2 * dt / q.tau);
        for (int i = 0; i < N; ++i) {
            double* dVi = &dV[i * P];
            double* dIi = &dI[i * P];
            if (mask[i]) {
                V[i] = 1 / q.eps;
                std::fill_n(dVi, P, 0.0);
            } else {
                const Local f = qif_flow_V(q, V[i], I[i], dt);
                V[i] = f.v;
                for (int p = 0; p < P; ++p) dVi[p] = f.d[0] * dVi[p] + f.d[1] * dIi[p] + f.d[2] * g_dt[p];
            }
            I[i] *= e2;
            const double dIdt = -2 / q.tau * I[i];
            for (int p = 0; p < P; ++p) dIi[p] = e2 * dIi[p] + dIdt * g_dt[p];
        }
        if (spike_in) ++counter;

        if (spike_trial) {
            const int src = spike_in ? in[counter - 1].source : j_net;
            const std::vector<double>& W = spike_in ? s.w_in : s.w_net;
            const std::vector<ParamIndex>& Wp = spike_in ? s.w_in_param : s.w_net_param;
            const int cols = spike_in ? s.Nin : N;
            for (int i = 0; i < N; ++i) {
                const std::size_t idx = static_cast<std::size_t>(i) * cols + src;
                I[i] += W[idx];
                if (const int p = param(Wp, idx); p >= 0) dI[i * P + p] += 1;
            }
            if (!spike_in) {
                V[j_net] = -1 / q.eps;
                std::fill_n(&dV[j_net * P], P, 0.0);
                if (j_net < static_cast<int>(s.record.size()) &&
                    static_cast<int>(out.spike_times[j_net].size()) < s.record[j_net]) {
                    out.spike_times[j_net].push_back(t);
                    out.spike_tangents[j_net].insert(out.spike_tangents[j_net].end(), g_t.begin(), g_t.end());
                }
            }
        }
        out.events.push_back({t, spike_in, spike_trial ? (spike_in ? in[counter - 1].source : j_net) : -1});
        if (s.record_states) {
            out.V_states.insert(out.V_states.end(), V.begin(), V.end());
            out.I_states.insert(out.I_states.end(), I.begin(), I.end());
        }

        if (!spike_trial) {
            out.Kord = k;
            out.V_end = V;
            out.I_end = I;
            out.dV_end = dV;
            out.dI_end = dI;
            return out;
        }
        for (int i = 0; i < N; ++i)
            if (!mask[i]) set_pending(i);
        if (!spike_in) set_pending(j_net);
    }
    throw EventLimitExceeded("K = " + std::to_string(s.K) +
                             " events do not reach the trial end T = " + std::to_string(s.T) +
                             " (the reference returns NaN times); increase K");
}

}  // namespace sr::spikegd

namespace sr::spikegd {

OutputTimes output_times(const QifParams& q, const QifTrial& trial, int neuron, int count,
                         double input, const double* dinput, int P, double T) {
    OutputTimes out;
    out.t.resize(count);
    out.dt.assign(static_cast<std::size_t>(count) * P, 0.0);
    const auto& spikes = trial.spike_times[neuron];
    const int Kout = static_cast<int>(spikes.size());
    const double* dV = &trial.dV_end[static_cast<std::size_t>(neuron) * P];
    const double* dI = &trial.dI_end[static_cast<std::size_t>(neuron) * P];
    for (int m = 0; m < count; ++m) {
        double* d = &out.dt[static_cast<std::size_t>(m) * P];
        if (m < Kout) {
            out.t[m] = spikes[m];
            std::copy_n(&trial.spike_tangents[neuron][static_cast<std::size_t>(m) * P], P, d);
            continue;
        }
        const Local l = qif_t_pseudo(q, trial.V_end[neuron], trial.I_end[neuron] + input, m + 1 - Kout, T);
        out.t[m] = l.v;
        for (int p = 0; p < P; ++p) d[p] = l.d[0] * dV[p] + l.d[1] * (dI[p] + (dinput ? dinput[p] : 0.0));
    }
    return out;
}

}  // namespace sr::spikegd

namespace sr::spikegd {

Traces qif_traces(const QifParams& q, const QifTrialSpec& spec, const QifTrial& trial, double dt) {
    const int N = spec.N;
    Traces out;
    double t0 = 0;
    std::vector<double> V = spec.V0, I = spec.I0;
    for (std::size_t k = 0; k < trial.events.size(); ++k) {
        const double t1 = trial.events[k].t;
        // Grid points in [t0, t1) flow from the state after the previous event.
        for (double t = t0; t < t1; t += dt) {
            out.t.push_back(t);
            for (int i = 0; i < N; ++i) {
                out.V.push_back(qif_flow_V(q, V[i], I[i], t - t0).v);
                out.I.push_back(I[i] * std::exp(-2 * (t - t0) / q.tau));
            }
        }
        V.assign(trial.V_states.begin() + k * N, trial.V_states.begin() + (k + 1) * N);
        I.assign(trial.I_states.begin() + k * N, trial.I_states.begin() + (k + 1) * N);
        t0 = t1;
    }
    return out;
}

}  // namespace sr::spikegd
