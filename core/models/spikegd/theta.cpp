#include "core/models/spikegd/theta.hpp"

#include "core/models/spikegd/qif_network.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace sr::spikegd {

double ThetaParams::root() const { return std::sqrt(I0 - 0.25); }
double ThetaParams::Theta() const { return tau * M_PI / root(); }

ThetaJump theta_H(const ThetaParams& q, double phi, double w) {
    const double Theta = q.Theta();
    if (!(phi > q.eps && phi < Theta - q.eps)) return {phi, 1.0, 0.0};
    const double root = q.root();
    const double tn = std::tan(phi * root / q.tau - M_PI / 2);
    const double V = root * tn + 0.5 + w;  // iPhi(phi) + w
    const double u = (V - 0.5) / root;
    const double v = q.tau / root * (std::atan(u) + M_PI / 2);
    const double dv_dV = q.tau / (root * root + (V - 0.5) * (V - 0.5));
    const double dV_dphi = root * root / q.tau * (1 + tn * tn);
    return {v, dv_dV * dV_dphi, dv_dV};
}

int ThetaNet::neurons() const {
    int n = 0;
    for (int s : sizes) n += s;
    return n;
}

namespace {

// First neuron index of every layer, and the layer of a neuron.
std::vector<int> layer_offsets(const ThetaNet& net) {
    std::vector<int> off{0};
    for (int s : net.sizes) off.push_back(off.back() + s);
    return off;
}

}  // namespace

ThetaForward theta_forward(const ThetaParams& q, const ThetaNet& net, const std::vector<double>& input_times,
                           double T, int K) {
    constexpr double inf = std::numeric_limits<double>::infinity();
    const int N = net.neurons(), L = static_cast<int>(net.sizes.size());
    const auto off = layer_offsets(net);
    std::vector<int> layer_of(N);
    for (int l = 0; l < L; ++l)
        for (int i = off[l]; i < off[l + 1]; ++i) layer_of[i] = l;
    const double Theta = q.Theta();

    // The input queue in time order (stable, as the reference's argsort).
    std::vector<int> order(input_times.size());
    for (std::size_t v = 0; v < order.size(); ++v) order[v] = static_cast<int>(v);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return input_times[a] < input_times[b]; });

    ThetaForward fw;
    fw.first_spike_event.assign(net.sizes.back(), -1);
    std::vector<double> phi = net.phi0;
    double t = 0;
    std::size_t counter = 0;
    for (int k = 0; k < K; ++k) {
        const int j_net = static_cast<int>(std::max_element(phi.begin(), phi.end()) - phi.begin());
        const double dt_net = Theta - phi[j_net];
        const double dt_in = counter < order.size() ? input_times[order[counter]] - t : inf;
        const bool spike_in = dt_in < dt_net;
        double dt = spike_in ? dt_in : dt_net;
        const bool spike_trial = dt < T - t;
        if (!spike_trial) dt = T - t;
        t += dt;
        for (double& p : phi) p += dt;
        fw.psi.insert(fw.psi.end(), phi.begin(), phi.end());
        const int src = spike_in ? order[counter] : j_net;
        if (spike_in) ++counter;
        if (spike_trial) {
            // The source reaches the next layer only (inputs: the first layer). The reference adds a
            // zero weight to every other neuron, H(phi, 0) = phi.
            const int target = spike_in ? 0 : layer_of[j_net] + 1;
            if (target < L) {
                const int cols = target == 0 ? net.Nin : net.sizes[target - 1];
                const int col = spike_in ? src : src - off[target - 1];
                const auto& W = net.weights[target];
                for (int i = off[target]; i < off[target + 1]; ++i)
                    phi[i] = theta_H(q, phi[i], W[static_cast<std::size_t>(i - off[target]) * cols + col]).v;
            }
            if (!spike_in) {
                phi[j_net] = 0;
                if (layer_of[j_net] == L - 1) {
                    int& first = fw.first_spike_event[j_net - off[L - 1]];
                    if (first < 0) first = k;
                } else {
                    ++fw.hidden_spikes;
                }
            }
        }
        fw.events.push_back({t, spike_in, spike_trial ? src : -1});
        if (!spike_trial) {
            fw.phi_end = phi;
            break;
        }
    }
    if (fw.phi_end.empty())
        throw EventLimitExceeded("K = " + std::to_string(K) + " events do not reach the trial end T = " +
                                 std::to_string(T) + " (the reference returns NaN times); increase K");

    // The pseudo-ANN readout: the first layer gets no input, each next layer the rates before it.
    std::vector<double> input(net.sizes[0], 0.0);
    for (int l = 0; l < L; ++l) {
        if (l > 0) {
            const auto& W = net.weights[l];
            const auto& r = fw.rates[l - 1];
            input.assign(net.sizes[l], 0.0);
            for (int i = 0; i < net.sizes[l]; ++i)
                for (int j = 0; j < net.sizes[l - 1]; ++j) input[i] += W[static_cast<std::size_t>(i) * net.sizes[l - 1] + j] * r[j];
        }
        if (l == L - 1) break;
        std::vector<double> r(net.sizes[l]);
        for (int i = 0; i < net.sizes[l]; ++i) r[i] = theta_H(q, fw.phi_end[off[l] + i], input[i]).v / Theta;
        fw.rates.push_back(std::move(r));
    }
    fw.input_out = input;
    const int No = net.sizes.back();
    fw.t_out.resize(No);
    fw.pseudo.resize(No);
    for (int i = 0; i < No; ++i) {
        const int e = fw.first_spike_event[i];
        fw.pseudo[i] = e < 0;
        fw.t_out[i] = e >= 0 ? fw.events[e].t : T + Theta - theta_H(q, fw.phi_end[off[L - 1] + i], input[i]).v;
    }
    return fw;
}

double theta_loss(const std::vector<double>& t_out, int label, double gamma, double T) {
    double m = -std::numeric_limits<double>::infinity();
    for (double t : t_out) m = std::max(m, -t);
    double z = 0;
    for (double t : t_out) z += std::exp(-t - m);
    return t_out[label] + m + std::log(z) + gamma * (std::exp(t_out[label] / T) - 1);
}

double theta_loss_gradient(const ThetaParams& q, const ThetaNet& net, const ThetaForward& fw, int label,
                           double gamma, double T, std::vector<std::vector<double>>& gW, std::vector<double>& gphi0) {
    const int N = net.neurons(), L = static_cast<int>(net.sizes.size()), No = net.sizes.back();
    const auto off = layer_offsets(net);
    const double Theta = q.Theta();
    std::vector<int> layer_of(N);
    for (int l = 0; l < L; ++l)
        for (int i = off[l]; i < off[l + 1]; ++i) layer_of[i] = l;

    // dL/dt_out: softmax of -t_out against the label, plus the gamma term.
    double m = -std::numeric_limits<double>::infinity();
    for (double t : fw.t_out) m = std::max(m, -t);
    double z = 0;
    for (double t : fw.t_out) z += std::exp(-t - m);
    std::vector<double> g_t(No);
    for (int i = 0; i < No; ++i) g_t[i] = -std::exp(-fw.t_out[i] - m) / z + (i == label ? 1.0 : 0.0);
    g_t[label] += gamma * std::exp(fw.t_out[label] / T) / T;

    // Backward through the readout into the end phases.
    std::vector<double> lambda(N, 0.0);
    std::vector<double> g_in(No, 0.0);
    for (int i = 0; i < No; ++i) {
        if (!fw.pseudo[i]) continue;
        const ThetaJump h = theta_H(q, fw.phi_end[off[L - 1] + i], fw.input_out[i]);
        lambda[off[L - 1] + i] -= g_t[i] * h.dphi;
        g_in[i] = -g_t[i] * h.dw;
    }
    for (int l = L - 1; l >= 1; --l) {
        // input_l = W_l r_{l-1}; r_{l-1} = H(phi_end, input_{l-1}) / Theta (input_0 = 0).
        const int rows = net.sizes[l], cols = net.sizes[l - 1];
        const auto& W = net.weights[l];
        const auto& r = fw.rates[l - 1];
        std::vector<double> g_r(cols, 0.0);
        for (int i = 0; i < rows; ++i) {
            if (g_in[i] == 0) continue;
            for (int j = 0; j < cols; ++j) {
                gW[l][static_cast<std::size_t>(i) * cols + j] += g_in[i] * r[j];
                g_r[j] += W[static_cast<std::size_t>(i) * cols + j] * g_in[i];
            }
        }
        // The input of layer l - 1 in the readout (zero for the first layer).
        std::vector<double> in_prev(cols, 0.0);
        if (l - 1 > 0) {
            const auto& Wp = net.weights[l - 1];
            const auto& rp = fw.rates[l - 2];
            for (int i = 0; i < cols; ++i)
                for (int j = 0; j < net.sizes[l - 2]; ++j) in_prev[i] += Wp[static_cast<std::size_t>(i) * net.sizes[l - 2] + j] * rp[j];
        }
        g_in.assign(cols, 0.0);
        for (int j = 0; j < cols; ++j) {
            const ThetaJump h = theta_H(q, fw.phi_end[off[l - 1] + j], in_prev[j]);
            lambda[off[l - 1] + j] += g_r[j] * h.dphi / Theta;
            g_in[j] = g_r[j] * h.dw / Theta;
        }
    }
    // (The first layer's readout input is W_in times zero rates: no weight gradient.)

    // Backward through the events.
    double lambda_t = 0;
    for (int k = static_cast<int>(fw.events.size()) - 1; k >= 0; --k) {
        const ThetaEvent& e = fw.events[k];
        for (int i = 0; i < No; ++i)
            if (fw.first_spike_event[i] == k) lambda_t += g_t[i];
        const double* psi = &fw.psi[static_cast<std::size_t>(k) * N];
        const bool spike_trial = e.j >= 0;
        const bool net_spike = spike_trial && !e.spike_in;
        if (net_spike) lambda[e.j] = 0;  // reset: the phase after the spike no longer depends on anything
        if (spike_trial) {
            const int target = e.spike_in ? 0 : layer_of[e.j] + 1;
            if (target < L) {
                const int cols = target == 0 ? net.Nin : net.sizes[target - 1];
                const int col = e.spike_in ? e.j : e.j - off[target - 1];
                const auto& W = net.weights[target];
                for (int i = off[target]; i < off[target + 1]; ++i) {
                    const std::size_t idx = static_cast<std::size_t>(i - off[target]) * cols + col;
                    const ThetaJump h = theta_H(q, psi[i], W[idx]);
                    gW[target][idx] += lambda[i] * h.dw;
                    lambda[i] *= h.dphi;
                }
            }
        }
        // psi = phi_prev + dt and t_k = t_{k-1} + dt.
        double lambda_dt = lambda_t;
        for (double l : lambda) lambda_dt += l;
        if (net_spike) {
            // dt = Theta - phi_prev[j]: the spike time moves with the spiking neuron's phase.
            // (The spiking neuron is the argmax before the event; its phase before is psi - dt.)
            lambda[e.j] -= lambda_dt;
        } else {
            // dt = t_input - t_prev or T - t_prev.
            lambda_t -= lambda_dt;
        }
    }
    for (int i = 0; i < N; ++i) gphi0[i] += lambda[i];
    return theta_loss(fw.t_out, label, gamma, T);
}

}  // namespace sr::spikegd
