// The theta neuron and the layered theta network (the MNIST network's engine) against the
// reference fixtures: the phase jump table, the 2-2-2 network's events, end phases, readout,
// output times, loss, and the adjoint gradient against the fixture's finite differences.
#include "core/models/spikegd/theta.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace sg = sr::spikegd;
using spikegd_test::fixtures;
using spikegd_test::rel_err;

namespace {

TEST(Theta, JumpTable) {
    for (const auto& c : fixtures()["theta_H"]) {
        sg::ThetaParams q;
        q.tau = c["tau"];
        q.I0 = c["I0"];
        EXPECT_NEAR(q.Theta(), 6.0, 1e-14);
        const double got = sg::theta_H(q, c["phi"], c["w"]).v;
        EXPECT_LE(std::abs(got - c["H"].get<double>()), 1e-12 * std::max(1.0, std::abs(got))) << c.dump();
    }
}

sg::ThetaNet net_222() {
    sg::ThetaNet net;
    net.Nin = 1;
    net.sizes = {2, 2, 2};
    net.weights = {{3, 2}, {2, 1, -1, 3}, {3, -1, 1, 2}};
    net.phi0.assign(6, 3.0);
    return net;
}

const std::vector<double> kInput{2 * std::log(1 / 0.99)};

TEST(Theta, Network222Forward) {
    const sg::ThetaParams q;
    const auto& f = fixtures()["theta_net_fixture"];
    const auto fw = sg::theta_forward(q, net_222(), kInput, 2.0, 50);
    ASSERT_EQ(fw.events.size(), f["events"].size());
    for (std::size_t k = 0; k < fw.events.size(); ++k) {
        EXPECT_LE(rel_err(fw.events[k].t, f["events"][k][0]), 1e-12) << k;
        EXPECT_EQ(fw.events[k].spike_in, f["events"][k][1].get<bool>()) << k;
        EXPECT_EQ(fw.events[k].j, f["events"][k][2].get<int>()) << k;
    }
    for (int i = 0; i < 6; ++i) EXPECT_LE(rel_err(fw.phi_end[i], f["phi_end"][i]), 1e-12) << i;
    for (int i = 0; i < 2; ++i) {
        EXPECT_LE(rel_err(fw.rates[0][i], f["rates_h1"][i]), 1e-12);
        EXPECT_LE(rel_err(fw.rates[1][i], f["rates_h2"][i]), 1e-12);
        EXPECT_LE(rel_err(fw.input_out[i], f["input_out"][i]), 1e-12);
        EXPECT_LE(rel_err(fw.t_out[i], f["t_out"][i]), 1e-12);
    }
    EXPECT_LE(rel_err(sg::theta_loss(fw.t_out, 0, 1e-2, 2.0), f["loss"]), 1e-12);
}

TEST(Theta, Network222AdjointGradient) {
    const sg::ThetaParams q;
    const auto net = net_222();
    const auto fw = sg::theta_forward(q, net, kInput, 2.0, 50);
    std::vector<std::vector<double>> gW{{0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    std::vector<double> gphi(6, 0.0);
    sg::theta_loss_gradient(q, net, fw, 0, 1e-2, 2.0, gW, gphi);
    std::vector<double> g;
    for (const auto& w : gW) g.insert(g.end(), w.begin(), w.end());
    g.insert(g.end(), gphi.begin(), gphi.end());
    const auto& fd = fixtures()["theta_net_fixture"]["dL_dp_FD"];
    ASSERT_EQ(g.size(), fd.size());
    for (std::size_t k = 0; k < g.size(); ++k) EXPECT_NEAR(g[k], fd[k].get<double>(), 1e-6) << "parameter " << k;
}

// Random layered networks: the adjoint gradient against central differences of the forward pass.
TEST(Theta, RandomNetworksAgainstCentralDifferences) {
    const sg::ThetaParams q;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> w(-1.5, 3.0), phase(0.5, 5.5), tin(0.0, 1.0);
    const double h = 1e-6;
    int compared = 0;
    for (int n = 0; n < 100; ++n) {
        sg::ThetaNet net;
        net.Nin = 2;
        net.sizes = {3, 3, 2};
        net.weights = {std::vector<double>(6), std::vector<double>(9), std::vector<double>(6)};
        for (auto& m : net.weights)
            for (double& x : m) x = w(rng);
        for (int i = 0; i < 8; ++i) net.phi0.push_back(phase(rng));
        const std::vector<double> input{tin(rng), tin(rng)};
        const int label = n % 2;
        const auto fw = sg::theta_forward(q, net, input, 2.0, 200);
        std::vector<std::vector<double>> gW{std::vector<double>(6), std::vector<double>(9), std::vector<double>(6)};
        std::vector<double> gphi(8, 0.0);
        sg::theta_loss_gradient(q, net, fw, label, 1e-2, 2.0, gW, gphi);
        auto loss_at = [&](const sg::ThetaNet& m) {
            const auto f = sg::theta_forward(q, m, input, 2.0, 200);
            return std::pair{sg::theta_loss(f.t_out, label, 1e-2, 2.0), f.events.size()};
        };
        auto check = [&](sg::ThetaNet& plus, sg::ThetaNet& minus, double* xp, double* xm, double g) {
            *xp += h;
            *xm -= h;
            const auto [lp, np] = loss_at(plus);
            const auto [lm, nm] = loss_at(minus);
            if (np != fw.events.size() || nm != fw.events.size()) return;  // event sequence changed
            const double d = (lp - lm) / (2 * h);
            EXPECT_NEAR(g, d, 1e-5 * std::max(1.0, std::abs(d))) << "network " << n;
            ++compared;
        };
        for (std::size_t l = 0; l < net.weights.size(); ++l)
            for (std::size_t k = 0; k < net.weights[l].size(); ++k) {
                sg::ThetaNet plus = net, minus = net;
                check(plus, minus, &plus.weights[l][k], &minus.weights[l][k], gW[l][k]);
            }
        for (int i = 0; i < 8; ++i) {
            sg::ThetaNet plus = net, minus = net;
            check(plus, minus, &plus.phi0[i], &minus.phi0[i], gphi[i]);
        }
    }
    EXPECT_GT(compared, 1500);
}

}  // namespace
