// The QIF closed forms, the event loop and its exact gradients against the reference fixtures.
#include "core/models/spikegd/jax_random.hpp"
#include "core/models/spikegd/qif.hpp"
#include "core/models/spikegd/qif_network.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sg = sr::spikegd;
using spikegd_test::fixtures;
using spikegd_test::num;
using spikegd_test::rel_err;

namespace {

TEST(Qif, FlowTable) {
    const sg::QifParams q;
    for (const auto& c : fixtures()["qif_flow_V"]) {
        const double V = c["V"], I = c["I"], dt = c["dt"];
        const double got = sg::qif_flow_V(q, V, I, dt).v;
        const double want = c["V_new"];
        EXPECT_LE(std::abs(got - want), 1e-12 * std::max(1.0, std::abs(want))) << "V=" << V << " I=" << I << " dt=" << dt;
        EXPECT_NEAR(I * std::exp(-2 * dt), c["I_new"].get<double>(), 1e-15);
    }
}

TEST(Qif, SpikeTimeTable) {
    const sg::QifParams q;
    for (const auto& c : fixtures()["qif_dt_spike"]) {
        const double got = sg::qif_dt_spike(q, c["V"], c["I"]).v;
        const double want = num(c["dt_spike"]);
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(got)) << c.dump();
        } else {
            EXPECT_LE(rel_err(got, want), 1e-12) << c.dump();
        }
    }
}

// Central finite differences of the closed forms confirm the dual-number partials, including the
// exact I -> 0 limit of the current derivative.
TEST(Qif, LocalPartialsMatchFiniteDifferences) {
    sg::QifParams q;
    const double h = 1e-6;
    struct Case { double V, I, dt; };
    for (const Case c : {Case{0.3, 4.0, 0.4}, Case{-1.0, 9.0, 0.3}, Case{2.0, -0.5, 0.5}, Case{0.3, -1.0, 0.8},
                         Case{1.5, 0.0, 0.5}, Case{-2.0, 0.0, 1.0}, Case{0.0, 0.0, 0.7}}) {
        const sg::Local l = sg::qif_flow_V(q, c.V, c.I, c.dt);
        const double fd[3] = {
            (sg::qif_flow_V(q, c.V + h, c.I, c.dt).v - sg::qif_flow_V(q, c.V - h, c.I, c.dt).v) / (2 * h),
            (sg::qif_flow_V(q, c.V, c.I + h, c.dt).v - sg::qif_flow_V(q, c.V, c.I - h, c.dt).v) / (2 * h),
            (sg::qif_flow_V(q, c.V, c.I, c.dt + h).v - sg::qif_flow_V(q, c.V, c.I, c.dt - h).v) / (2 * h)};
        for (int k = 0; k < 3; ++k)
            EXPECT_NEAR(l.d[k], fd[k], 1e-6 * std::max(1.0, std::abs(fd[k]))) << c.V << " " << c.I << " " << c.dt << " k=" << k;
    }
    for (const auto& [V, I] : {std::pair{1.5, 0.0}, std::pair{3.0, 0.0}, std::pair{0.5, 3.0}, std::pair{2.0, -0.5}}) {
        const sg::Local l = sg::qif_dt_spike(q, V, I);
        const double fdV = (sg::qif_dt_spike(q, V + h, I).v - sg::qif_dt_spike(q, V - h, I).v) / (2 * h);
        const double fdI = (sg::qif_dt_spike(q, V, I + h).v - sg::qif_dt_spike(q, V, I - h).v) / (2 * h);
        EXPECT_NEAR(l.d[0], fdV, 1e-6 * std::max(1.0, std::abs(fdV))) << V << " " << I;
        EXPECT_NEAR(l.d[1], fdI, 1e-6 * std::max(1.0, std::abs(fdI))) << V << " " << I;
    }
}

// Fixture C: five inputs (weights and times trainable), two output spikes, pseudospikes after T.
struct FixtureC {
    sg::QifTrialSpec spec;
    FixtureC() {
        const double t[5] = {0.3, 1, 2, 3.5, 6}, w[5] = {4, -1.5, 6, 3, 5};
        spec.N = 1;
        spec.Nin = 5;
        spec.T = 10;
        spec.K = 12;
        spec.P = 10;
        spec.w_net = {0.0};
        for (int i = 0; i < 5; ++i) {
            spec.w_in.push_back(w[i]);
            spec.w_in_param.push_back(i);
            spec.inputs.push_back({t[i], i, 5 + i});
        }
        spec.V0 = {0.0};
        spec.I0 = {0.0};
        spec.record = {2};
    }
};

void check_fixture_c(sg::GradientRule rule, const char* key) {
    sg::QifParams q;
    q.rule = rule;
    const FixtureC f;
    const auto trial = sg::simulate_qif(q, f.spec);
    const auto& C = fixtures()["qif_fixture_C"];
    const auto& ev = C["events"];
    ASSERT_EQ(trial.events.size(), ev["ts"].size() - 4);  // the loop stops at the first end event
    for (std::size_t k = 0; k < trial.events.size(); ++k) {
        EXPECT_LE(rel_err(trial.events[k].t, ev["ts"][k]), 1e-12) << k;
        EXPECT_EQ(trial.events[k].spike_in, ev["spike_in"][k].get<bool>()) << k;
        EXPECT_EQ(trial.events[k].j, ev["j"][k].get<int>()) << k;
    }
    EXPECT_EQ(trial.Kord, ev["Kord"].get<int>());
    EXPECT_LE(rel_err(trial.V_end[0], ev["x_end"][0]), 1e-12);
    EXPECT_LE(rel_err(trial.I_end[0], ev["x_end"][1]), 1e-12);
    for (int k = 1; k <= 3; ++k)
        EXPECT_LE(rel_err(sg::qif_t_pseudo(q, trial.V_end[0], trial.I_end[0], k, 10).v, C["t_pseudo_k1_k2_k3"][k - 1]), 1e-12);

    const auto out = sg::output_times(q, trial, 0, 2, 0.0, nullptr, 10, 10);
    const auto& G = C[key];
    const double targets[2] = {2.5, 7.5};
    double loss = 0;
    std::vector<double> grad(10, 0.0);
    for (int m = 0; m < 2; ++m) {
        EXPECT_LE(rel_err(out.t[m], G["t_out"][m]), 1e-12);
        loss += (out.t[m] - targets[m]) * (out.t[m] - targets[m]) / 2;
        for (int p = 0; p < 10; ++p) {
            EXPECT_NEAR(out.dt[m * 10 + p], G["dtout_dp"][m][p].get<double>(), 1e-8) << key << " m=" << m << " p=" << p;
            grad[p] += (out.t[m] - targets[m]) * out.dt[m * 10 + p];
        }
    }
    EXPECT_LE(rel_err(loss, G["loss"]), 1e-9);
    for (int p = 0; p < 10; ++p) EXPECT_NEAR(grad[p], G["dL_dp"][p].get<double>(), 1e-8 * std::max(1.0, std::abs(grad[p]))) << key << " p=" << p;
}

TEST(Qif, FixtureCReferenceRule) { check_fixture_c(sg::GradientRule::reference, "grad_reference"); }
TEST(Qif, FixtureCExactLimit) { check_fixture_c(sg::GradientRule::exact, "grad_exact-limit"); }

TEST(Qif, TooFewEventsIsAnError) {
    FixtureC f;
    f.spec.K = 7;  // seven spikes before T, the end event would be the eighth
    try {
        sg::simulate_qif(sg::QifParams{}, f.spec);
        FAIL();
    } catch (const sg::EventLimitExceeded& e) {
        EXPECT_NE(std::string(e.what()).find("increase K"), std::string::npos);
    }
}

TEST(JaxRandom, PublishedVectors) {
    const auto& r = fixtures()["jax_rng_legacy"];
    EXPECT_EQ(sg::jax::uniform_f32(sg::jax::prng_key(0), 1)[0], r["uniform_f32_PRNGKey0"].get<float>());
    const auto keys = sg::jax::split(sg::jax::prng_key(42), 2);
    for (int i = 0; i < 2; ++i)
        for (int k = 0; k < 2; ++k) EXPECT_EQ(keys[i][k], r["split_PRNGKey42"][i][k].get<std::uint32_t>());
}

TEST(JaxRandom, SingleNeuronTaskInstance) {
    const auto keys = sg::jax::split(sg::jax::prng_key(3), 4);
    const auto times = sg::jax::uniform(keys[1], 20, 0.0, 10.0);
    const auto weights = sg::jax::normal(keys[2], 20);
    const auto& f = fixtures()["single_seed3_inputs"];
    for (int i = 0; i < 20; ++i) {
        EXPECT_EQ(times[i], f["times_in_fixed(20)"][i].get<double>()) << i;
        EXPECT_DOUBLE_EQ(weights[i], f["weights_in_fixed(20)"][i].get<double>()) << i;
    }
}

TEST(JaxRandom, RnnTaskInstance) {
    auto keys = sg::jax::split(sg::jax::prng_key(7), 2);
    const auto exc = sg::jax::exponential(keys[1], 10 * 100);
    keys = sg::jax::split(keys[0], 2);
    const auto inh = sg::jax::exponential(keys[1], 10 * 100);
    const auto& f = fixtures()["rnn_seed7"];
    for (int i = 0; i < 5; ++i) {
        EXPECT_DOUBLE_EQ(exc[i], f["ISI_exc_row0_first5"][i].get<double>()) << i;
        EXPECT_DOUBLE_EQ(inh[i], f["ISI_inh_row0_first5"][i].get<double>()) << i;
    }
}

}  // namespace
