// The experiments against the reference's task instances and training trajectories.
#include "core/models/spikegd/concept.hpp"
#include "core/models/spikegd/rnn.hpp"
#include "core/models/spikegd/single.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sg = sr::spikegd;
using spikegd_test::fixtures;
using spikegd_test::num;
using spikegd_test::rel_err;

namespace {

TEST(Single, Seed3TrainingCheckpoints) {
    sg::SingleConfig c;  // the reference's config_qif, seed 3, reference gradient rule
    c.neuron.rule = sg::GradientRule::reference;
    const auto run = sg::train_single(c);
    const auto& f = fixtures()["single_neuron_training"];
    for (const auto& cp : f["checkpoints"]) {
        const int k = cp["trial"];
        // At the end the loss is ~1e-22, rounding noise of spike times ~1e-12 off the targets.
        if (k < 2999) {
            EXPECT_LE(rel_err(run.loss[k], cp["loss"]), 1e-9) << "trial " << k;
        }
        for (int m = 0; m < 2; ++m) EXPECT_LE(rel_err(run.t_out[2 * k + m], cp["t_out"][m]), 1e-9) << "trial " << k;
        const auto& pb = cp["p_before_update[w1,w2,t1,t2]"];
        for (int i = 0; i < 4; ++i) EXPECT_NEAR(run.p[4 * k + i], pb[i].get<double>(), 1e-9 * std::max(1.0, std::abs(pb[i].get<double>()))) << "trial " << k;
    }
    for (int i = 0; i < 4; ++i)
        EXPECT_LE(rel_err(run.p_final[i], f["final_p_after_3000_updates[w1,w2,t1,t2]"][i]), 1e-9);
    EXPECT_LT(run.loss.back(), 1e-18);
    EXPECT_NEAR(run.t_out[2 * 2999], 2.5, 1e-9);
    EXPECT_NEAR(run.t_out[2 * 2999 + 1], 7.5, 1e-9);
}

TEST(Rnn, Seed7TaskInstance) {
    const sg::RnnConfig c;
    const auto task = sg::make_rnn_task(c);
    const auto& f = fixtures()["rnn_seed7"]["targets"];
    ASSERT_EQ(task.targets.size(), 2u);
    for (int i = 0; i < 2; ++i) {
        ASSERT_EQ(task.targets[i].size(), f[i].size());
        for (std::size_t m = 0; m < f[i].size(); ++m) EXPECT_LE(rel_err(task.targets[i][m], f[i][m]), 1e-15);
    }
    // 20 trains of rate 1: about 200 input spikes in T = 10 (the queue holds later ones too).
    std::size_t in_trial = 0;
    for (const auto& in : task.inputs) in_trial += in.time < c.T ? 1 : 0;
    EXPECT_GT(in_trial, 150u);
    EXPECT_LT(in_trial, 250u);
    for (std::size_t k = 1; k < task.inputs.size(); ++k) EXPECT_LE(task.inputs[k - 1].time, task.inputs[k].time);
}

TEST(Rnn, Seed7FirstTrialsFollowTheReference) {
    sg::RnnConfig c;
    c.neuron.rule = sg::GradientRule::exact;  // as the fixture's trajectory
    c.Ntrial = 100;
    const auto run = sg::train_rnn(c);
    const auto& f = fixtures()["rnn_training_normal"]["loss_checkpoints"];
    for (const char* k : {"0", "1", "2", "5", "10", "30", "100"})
        EXPECT_LE(rel_err(run.loss[std::stoi(k)], f[k]), 1e-6) << "trial " << k;
}

TEST(Rnn, ReferenceRuleFirstTrials) {
    sg::RnnConfig c;
    c.neuron.rule = sg::GradientRule::reference;
    c.Ntrial = 100;
    const auto run = sg::train_rnn(c);
    const auto& f = fixtures()["rnn_training_normal"]["reference_rule_run_partial"];
    // Six significant digits in the fixture.
    EXPECT_NEAR(run.loss[0], f["0"].get<double>(), 1e-6);
    EXPECT_NEAR(run.loss[100], f["100"].get<double>(), 1e-6);
}

TEST(Concept, VaryWeightCases) {
    sg::ConceptConfig c;
    c.vary = "weight";
    for (const auto& cs : fixtures()["qif_concept_vary_w"]["cases"]) {
        const auto pt = sg::concept_point(c, cs["w"]);
        const double want = num(cs["t_out"]);
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(pt.t_out));
            continue;
        }
        EXPECT_LE(rel_err(pt.t_out, want), 1e-10);
        EXPECT_LE(rel_err(pt.grad, cs["dtout_dw"]), 1e-10);
    }
    const auto ex = sg::concept_examples(c, {0.95, 1.15, 1.5});
    for (int k = 0; k < 3; ++k) EXPECT_LE(rel_err(ex[k], fixtures()["qif_concept_vary_w"]["cases"][k]["w"]), 1e-15);
}

TEST(Concept, VaryInhibitionTimeCases) {
    sg::ConceptConfig c;
    c.vary = "time";
    for (const auto& cs : fixtures()["qif_concept_vary_t"]["cases"]) {
        const auto pt = sg::concept_point(c, cs["t_inh"]);
        const double want = num(cs["t_out"]);
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(pt.t_out));
            continue;
        }
        EXPECT_LE(rel_err(pt.t_out, want), 1e-10);
        EXPECT_NEAR(pt.grad, cs["dtout_dtinh"].get<double>(), 1e-10 * std::max(1.0, std::abs(pt.grad)));
    }
    const auto ex = sg::concept_examples(c, {0.5, 0.62, 1.4});
    for (int k = 0; k < 3; ++k) EXPECT_LE(rel_err(ex[k], fixtures()["qif_concept_vary_t"]["cases"][k]["t_inh"]), 1e-14);
}

}  // namespace

namespace {

sg::ConceptConfig lif_concept(const char* vary) {
    sg::ConceptConfig c;  // the reference's config_lif
    c.neuron_model = "lif";
    c.vary = vary;
    c.T = 3.0;
    c.K = 5;
    c.w_exc_relative = 1.4;
    return c;
}

TEST(Concept, LifCases) {
    const auto& f = fixtures()["lif_concept"];
    auto cw = lif_concept("weight");
    for (const auto& cs : f["vary_w"]) {
        const auto pt = sg::concept_point(cw, cs["w"]);
        const double want = num(cs["t_out"]);
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(pt.t_out)) << cs.dump();
        } else {
            EXPECT_LE(rel_err(pt.t_out, want), 1e-10) << cs.dump();
        }
    }
    auto ct = lif_concept("time");
    EXPECT_LE(rel_err(sg::concept_examples(ct, {1.0})[0], f["t_exc_only"]), 1e-12);
    const auto ex = sg::concept_examples(ct, {0.8, 1.5, 3.0});
    for (int k = 0; k < 3; ++k) {
        EXPECT_LE(rel_err(ex[k], f["vary_t"][k]["t_inh"]), 1e-12);
        const auto pt = sg::concept_point(ct, ex[k]);
        const double want = num(f["vary_t"][k]["t_out"]);
        if (std::isinf(want)) {
            EXPECT_TRUE(std::isinf(pt.t_out));
        } else {
            EXPECT_LE(rel_err(pt.t_out, want), 1e-10);
        }
    }
}

// The LIF derivative against central differences where the spike exists, and its divergence as
// the weight approaches the spiking threshold from above (the paper's point about LIF neurons).
TEST(Concept, LifDerivative) {
    const auto c = lif_concept("weight");
    const double h = 1e-6;
    for (double w : {4.6, 5.0, 5.6, 7.0}) {
        const auto pt = sg::concept_point(c, w);
        const double fd = (sg::concept_point(c, w + h).t_out - sg::concept_point(c, w - h).t_out) / (2 * h);
        EXPECT_NEAR(pt.grad, fd, 1e-6 * std::max(1.0, std::abs(fd))) << w;
    }
    // |dt/dw| grows like (w - w_min)^(-1/2): ten times steeper at a hundredth of the distance.
    EXPECT_LT(sg::concept_point(c, 4.0 + 1e-6).grad, 5 * sg::concept_point(c, 4.0 + 1e-4).grad);
    EXPECT_LT(sg::concept_point(c, 4.0 + 1e-4).grad, -10.0);
    const auto ct = lif_concept("time");
    const double t_inh = sg::concept_examples(ct, {0.9})[0];
    const auto pt = sg::concept_point(ct, t_inh);
    const double fd = (sg::concept_point(ct, t_inh + h).t_out - sg::concept_point(ct, t_inh - h).t_out) / (2 * h);
    if (std::isfinite(pt.t_out)) {
        EXPECT_NEAR(pt.grad, fd, 1e-6 * std::max(1.0, std::abs(fd)));
    }
}

}  // namespace
