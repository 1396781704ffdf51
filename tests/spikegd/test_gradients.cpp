// Property test: the forward-mode gradients of random QIF networks against central finite
// differences of the simulation itself, over every kind of trainable quantity (recurrent and input
// weights, input times, initial V and I) and through ordinary spikes and pseudospikes.
#include "core/models/spikegd/qif_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace sg = sr::spikegd;

namespace {

struct RandomNetwork {
    sg::QifTrialSpec spec;
    std::vector<double> p;

    explicit RandomNetwork(std::mt19937_64& rng) {
        std::uniform_int_distribution<int> n_dist(1, 4), in_dist(1, 4);
        std::uniform_real_distribution<double> w(-3, 6), t(0, 4), v(-1, 1), cur(-1, 3);
        spec.N = n_dist(rng);
        spec.Nin = in_dist(rng);
        spec.T = 5;
        spec.K = 200;
        const int N = spec.N, Nin = spec.Nin;
        auto add = [&](double value) {
            p.push_back(value);
            return static_cast<int>(p.size()) - 1;
        };
        spec.w_net.assign(N * N, 0.0);
        spec.w_net_param.assign(N * N, -1);
        for (int i = 0; i < N; ++i)
            for (int j = 0; j < N; ++j)
                if (i != j) spec.w_net_param[i * N + j] = add(w(rng) / 2);
        for (int i = 0; i < N * Nin; ++i) spec.w_in_param.push_back(add(w(rng)));
        spec.w_in.assign(N * Nin, 0.0);
        for (int k = 0; k < Nin; ++k) spec.inputs.push_back({0, k, add(t(rng))});
        for (int i = 0; i < N; ++i) {
            spec.V0_param.push_back(add(v(rng)));
            spec.I0_param.push_back(add(cur(rng)));
        }
        spec.V0.assign(N, 0.0);
        spec.I0.assign(N, 0.0);
        spec.P = static_cast<int>(p.size());
        spec.record.assign(N, 2);
    }

    // The spec with parameter values p (tangents on or off).
    sg::QifTrialSpec with(const std::vector<double>& q, bool tangents) const {
        sg::QifTrialSpec s = spec;
        for (std::size_t k = 0; k < s.w_net.size(); ++k)
            if (s.w_net_param[k] >= 0) s.w_net[k] = q[s.w_net_param[k]];
        for (std::size_t k = 0; k < s.w_in.size(); ++k) s.w_in[k] = q[s.w_in_param[k]];
        for (auto& in : s.inputs) in.time = q[in.time_param];
        for (int i = 0; i < s.N; ++i) {
            s.V0[i] = q[s.V0_param[i]];
            s.I0[i] = q[s.I0_param[i]];
        }
        if (!tangents) s.P = 0;
        return s;
    }
};

// The first two output times of every neuron (pseudospikes where missing).
std::vector<double> outputs(const sg::QifParams& q, const sg::QifTrialSpec& s, const sg::QifTrial& trial,
                            std::vector<double>* tangents) {
    std::vector<double> t;
    for (int i = 0; i < s.N; ++i) {
        const auto o = sg::output_times(q, trial, i, 2, 0.0, nullptr, s.P, s.T);
        t.insert(t.end(), o.t.begin(), o.t.end());
        if (tangents) tangents->insert(tangents->end(), o.dt.begin(), o.dt.end());
    }
    return t;
}

std::vector<std::pair<bool, int>> event_pattern(const sg::QifTrial& trial) {
    std::vector<std::pair<bool, int>> out;
    for (const auto& e : trial.events) out.emplace_back(e.spike_in, e.j);
    return out;
}

TEST(Gradients, RandomNetworksAgainstCentralDifferences) {
    std::mt19937_64 rng(2024);
    sg::QifParams q;
    q.rule = sg::GradientRule::exact;
    const double h = 1e-6;
    int compared = 0, networks = 0;
    for (int n = 0; n < 300; ++n) {
        const RandomNetwork net(rng);
        const auto spec = net.with(net.p, true);
        const auto trial = sg::simulate_qif(q, spec);
        std::vector<double> tangents;
        const auto t0 = outputs(q, spec, trial, &tangents);
        const int P = spec.P, M = static_cast<int>(t0.size());
        ++networks;
        for (int k = 0; k < P; ++k) {
            auto plus = net.p, minus = net.p;
            plus[k] += h;
            minus[k] -= h;
            const auto sp = net.with(plus, false), sm = net.with(minus, false);
            const auto tp = sg::simulate_qif(q, sp), tm = sg::simulate_qif(q, sm);
            // A change of the event sequence within +-h is a (measure-zero) discontinuity: skip.
            if (event_pattern(tp) != event_pattern(trial) || event_pattern(tm) != event_pattern(trial)) continue;
            const auto op = outputs(q, sp, tp, nullptr), om = outputs(q, sm, tm, nullptr);
            for (int m = 0; m < M; ++m) {
                const double fd = (op[m] - om[m]) / (2 * h);
                const double g = tangents[m * P + k];
                EXPECT_NEAR(g, fd, 2e-5 * std::max(1.0, std::abs(fd))) << "network " << n << " param " << k << " output " << m;
                ++compared;
            }
        }
    }
    EXPECT_EQ(networks, 300);
    EXPECT_GT(compared, 10000);
}

}  // namespace
