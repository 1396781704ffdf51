// The CSDP circuit's pieces against hand-computed values: one sLIF cell with its adaptive threshold
// and trace, the goodness modulator against a numerical gradient, one CSDP update through Adam with
// its decay, the lateral-inhibition constraint and the readout's Hebbian update.
#include "core/models/csdp/network.hpp"
#include "core/models/csdp/training.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

namespace sr::csdp {
namespace {

TEST(CsdpMechanisms, SlifCellThresholdAndTrace) {
    Slif z;
    z.thr0 = RowVec::Constant(2, 0.05f);
    z.reset(1);
    z.j << 1.0f, 0.0f;
    Mat tr = Mat::Zero(1, 2);
    const float decay = static_cast<float>(1.0 - 3.0 / 13.0);
    // v after k steps of constant j = 1 (dt 3, tau 100): 1 - 0.97^k; 0.03 then 0.0591 > 0.05.
    slif_step(z, 3.0f, 1);
    EXPECT_FLOAT_EQ(z.v(0, 0), 0.03f);
    EXPECT_EQ(z.s.dense(0, 0), 0.0f);
    // No spike in the row: every threshold of the row drops by rho_b.
    EXPECT_FLOAT_EQ(z.thr(0, 0), 0.05f - kRhoB);
    EXPECT_FLOAT_EQ(z.thr(0, 1), 0.05f - kRhoB);
    trace_step(tr, z.s, decay, 1);
    EXPECT_EQ(tr(0, 0), 0.0f);
    slif_step(z, 3.0f, 1);
    EXPECT_EQ(z.s.dense(0, 0), 1.0f);
    EXPECT_EQ(z.v(0, 0), 0.0f);  // reset after the spike
    EXPECT_EQ(z.s.active[0], std::vector<std::int32_t>{0});
    // One spike in the row: thresholds stay (rho_b * (1 - 1)).
    EXPECT_FLOAT_EQ(z.thr(0, 1), 0.05f - kRhoB);
    trace_step(tr, z.s, decay, 1);
    EXPECT_EQ(tr(0, 0), 1.0f);  // the trace jumps to 1
    slif_step(z, 3.0f, 1);
    trace_step(tr, z.s, decay, 1);
    EXPECT_FLOAT_EQ(tr(0, 0), decay);  // then decays linearly-in-rate by 1 - dt / tau_tr
    // Thresholds never fall below 0.025.
    for (int k = 0; k < 100; ++k) slif_step(z, 3.0f, 1);
    EXPECT_GE(z.thr.minCoeff(), kThrFloor);
}

double logistic_loss(const Mat& z, const std::vector<float>& positive) {
    double total = 0;
    for (int b = 0; b < z.rows(); ++b) {
        const double logit = z.row(b).cast<double>().squaredNorm() - kGoodness;
        const double label = positive[static_cast<std::size_t>(b)];
        total += std::max(logit, 0.0) - logit * label + std::log1p(std::exp(-std::abs(logit)));
    }
    return total / static_cast<double>(z.rows());
}

TEST(CsdpMechanisms, GoodnessModulatorIsTheLossGradient) {
    Mat z(3, 4);
    z << 1.0f, 0.5f, 2.0f, 0.0f,   // goodness 5.25: below the threshold
        3.0f, 1.0f, 0.3f, 0.2f,    // 10.13: just above
        0.1f, 0.0f, 0.2f, 0.9f;
    const std::vector<float> positive = {1.0f, 0.0f, 1.0f};
    Mat mod;
    std::vector<float> goodness;
    goodness_modulator(z, positive, mod, goodness, 1);
    EXPECT_FLOAT_EQ(goodness[0], 5.25f);
    for (int b = 0; b < 3; ++b) {
        for (int j = 0; j < 4; ++j) {
            Mat up = z, down = z;
            up(b, j) += 1e-3f;
            down(b, j) -= 1e-3f;
            const double numeric = (logistic_loss(up, positive) - logistic_loss(down, positive)) /
                                   (static_cast<double>(up(b, j)) - down(b, j));
            EXPECT_NEAR(mod(b, j), numeric, 2e-4) << b << "," << j;
        }
    }
}

// A 20-3-2-2 network whose third step's updates are recomputed here from the recorded state.
TEST(CsdpMechanisms, CsdpAdamDecayLateralAndReadoutUpdates) {
    Config c;
    c.sizes = {20, 3, 2, 2};
    c.steps = 3;
    c.batch_size = 500;
    c.learn_recon = false;
    Rng init(7);
    Network net(c, init);
    // Input weights that make z1 units 0 and 1 fire in steps 2 and 3 and unit 2 only in step 3
    // (inputs reach z1 one step late; thresholds fall to 0.025 after the silent first step);
    // negative lateral weights to see the [0, 1] clip.
    net.synapse(W1).w.col(0).setConstant(1.0f);
    net.synapse(W1).w.col(1).setConstant(0.9f);
    net.synapse(W1).w.col(2).setConstant(0.5f);
    net.synapse(M1).w << 0.5f, -0.3f, 0.2f, 0.4f, 0.6f, -0.1f, 0.3f, 0.2f, 0.9f;
    const Mat x = Mat::Constant(4, 20, 0.5f);
    Mat context(4, 2);
    context << 1, 0, 0, 1, 0, 1, 1, 0;
    Mat input(4, 20);  // two thirds of the inputs spike, a different third silent in each row
    for (int b = 0; b < 4; ++b) {
        for (int i = 0; i < 20; ++i) input(b, i) = (i + b) % 3 != 0 ? 1.0f : 0.0f;
    }
    Injection inject;
    inject.input_spikes.assign(3, input);

    struct Before {
        Mat w, m1, m2;
    };
    std::map<SynapseId, Before> before;
    Mat z0_prev, z1_prev, z1_now, mod1, ey;
    Rng unused(3);
    net.process(x, context, true, unused, &inject, [&](int t) {
        if (t == 2) {
            for (const SynapseId id : {W1, M1, C2}) {
                const Synapse& s = net.synapse(id);
                before[id] = {s.w, s.m1, s.m2};
            }
            z0_prev = net.z0().dense;
            z1_prev = net.z1().s.dense;
        } else if (t == 3) {
            z1_now = net.z1().s.dense;
            mod1 = net.modulator(1);
            ey = net.readout_error();
        }
    });
    ASSERT_GT(z1_prev.sum(), 0.0f) << "z1 must fire in step 2 for this test";
    ASSERT_GT(z1_now.sum(), 0.0f) << "z1 must fire in step 3 for this test";
    ASSERT_EQ(z1_prev.col(2).sum(), 0.0f) << "z1 unit 2 must be silent in step 2 for this test";
    EXPECT_EQ(net.adam_steps(), 3.0f);
    // Adam's third step: moments from step 2, bias corrections 1 - beta^3.
    const double eta = 0.002, decay = 5e-5;
    auto adam = [&](SynapseId id, int i, int j, double g) {
        const Before& b = before.at(id);
        const double m = 0.9 * b.m1(i, j) + 0.1 * g, v = 0.999 * b.m2(i, j) + 0.001 * g * g;
        return b.w(i, j) - eta * (m / (1 - std::pow(0.9, 3))) / (std::sqrt(v / (1 - std::pow(0.999, 3))) + 1e-8);
    };
    for (int i = 0; i < 20; ++i) {
        for (int j = 0; j < 3; ++j) {
            double g = 0, count = 0;
            for (int b = 0; b < 4; ++b) {
                g += z0_prev(b, i) * mod1(b, j) * kRm;
                count += (1 - z0_prev(b, i)) * z1_now(b, j);
            }
            const double expected = std::clamp(adam(W1, i, j, g) - count * decay, -1.0, 1.0);
            EXPECT_NEAR(net.synapse(W1).w(i, j), expected, 1e-6) << "W1 " << i << "," << j;
        }
    }
    // Lateral M1: modulator times 0.01, clipped to [0, 1], zero diagonal.
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j) {
            double g = 0, count = 0;
            for (int b = 0; b < 4; ++b) {
                g += z1_prev(b, i) * mod1(b, j) * kInhR;
                count += (1 - z1_prev(b, i)) * z1_now(b, j);
            }
            const double expected = i == j ? 0.0 : std::clamp(adam(M1, i, j, g) - count * decay, 0.0, 1.0);
            EXPECT_NEAR(net.synapse(M1).w(i, j), expected, 1e-6) << "M1 " << i << "," << j;
        }
    }
    EXPECT_GE(net.synapse(M1).w.minCoeff(), 0.0f);
    // Readout C2 (z1 -> zy): Hebbian, dW = -(pre^T (e_y * 0.1)) * (1 - |W|), through Adam.
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 2; ++j) {
            double g = 0;
            for (int b = 0; b < 4; ++b) g += z1_prev(b, i) * ey(b, j) * kRm;
            g = -g * (1 - std::abs(before.at(C2).w(i, j)));
            const double expected = std::clamp(adam(C2, i, j, g), -1.0, 1.0);
            EXPECT_NEAR(net.synapse(C2).w(i, j), expected, 1e-6) << "C2 " << i << "," << j;
        }
    }
    // The readout error only counts the positive rows, averaged over them.
    EXPECT_EQ(ey.row(2).cwiseAbs().sum(), 0.0f);
    EXPECT_FLOAT_EQ(ey(0, 0), (1.0f - net.trace(3)(0, 0)) * 2.0f / 2.0f);
}

TEST(CsdpMechanisms, NegativeSamples) {
    Mat x(4, 2);
    x << 0, 0, 1, 1, 2, 2, 3, 3;
    const std::vector<int> labels = {0, 1, 2, 3};
    Rng rng(11);
    Mat xn;
    std::vector<int> yn;
    negatives(x, labels, true, 0.5f, rng, xn, yn);
    EXPECT_EQ(xn, x);
    for (std::size_t r = 0; r < labels.size(); ++r) EXPECT_NE(yn[r], labels[r]);
    // Unsupervised: every row mixed half-half with the same other image (or the next one for rows
    // at or before it), never with itself.
    negatives(x, labels, false, 0.5f, rng, xn, yn);
    for (int r = 0; r < 4; ++r) {
        const float other = 2 * xn(r, 0) - x(r, 0);
        EXPECT_NE(other, x(r, 0));
        EXPECT_EQ(yn[static_cast<std::size_t>(r)], static_cast<int>(other));
    }
}

}  // namespace
}  // namespace sr::csdp
