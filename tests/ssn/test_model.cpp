// The model interface: schema and defaults, validation, payload layout, reproducibility,
// cancellation, and the seeded draws' structure.
#include "core/models/ssn/setup.hpp"
#include "core/models/ssn/ssn_model.hpp"
#include "core/models/ssn/training.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>

namespace sr {
namespace {

// A job of a few hundred thousand steps.
Params small_job(const Model& model) {
    Params params = default_params(model.info());
    set_path(params, "dim", 4);
    set_path(params, "num_epochs", 21);
    set_path(params, "val_step", 10);
    set_path(params, "val_factor", 5);
    set_path(params, "dur", 100);
    set_path(params, "lr.symm", 0.01);
    set_path(params, "init_noise", 0.5);
    return params;
}

TEST(SsnModel, DefaultsAreThePublishedSynNoiseExperiment) {
    const ModelPtr model = make_ssn_model();
    EXPECT_EQ(model->info().name, "ssn");
    const Params p = default_params(model->info());
    EXPECT_EQ(get_int(p, "dim"), 7);
    EXPECT_EQ(get_int(p, "seed.distr"), 4242);
    EXPECT_EQ(get_int(p, "sim_params.t_ref"), 50);
    EXPECT_EQ(get_real(p, "sim_params.tau_syn"), 50.0);
    EXPECT_EQ(get_int(p, "num_epochs"), 20001);
    EXPECT_EQ(get_int(p, "val_step"), 500);
    EXPECT_EQ(get_int(p, "val_factor"), 1000);
    EXPECT_EQ(get_real(p, "lr.weight"), 0.01);
    EXPECT_EQ(get_real(p, "lr.symm"), 0.0);
    EXPECT_EQ(get_int(p, "dur"), 1000);
    EXPECT_EQ(get_real(p, "stdp.ws.tau_minus"), 50.0);
    EXPECT_FALSE(has(p, "w_target"));
    model->validate(p);
    // 20001 epochs of 5e4 steps plus 41 validations 999 × 5e4 steps longer: 3.05e9 steps.
    EXPECT_EQ(ssn::SsnConfig::from_params(p).total_steps(), 3'048'000'000LL);
}

TEST(SsnModel, ValidationNamesTheKey) {
    const ModelPtr model = make_ssn_model();
    Params p = default_params(model->info());
    set_path(p, "w_target", Json::array({Json::array({0.0, 1.0}), Json::array({1.0, 0.0})}));
    try {
        model->validate(p);
        FAIL() << "accepted a 2x2 w_target for dim 7";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "w_target");
    }
    p = default_params(model->info());
    set_path(p, "sim_params.tau_syn", 2000.0);  // beyond the 10-spike PSP memory at t_ref 50
    EXPECT_THROW(model->validate(p), ParamError);
}

TEST(SsnModel, PayloadShapesAndMetrics) {
    const ModelPtr model = make_ssn_model();
    RunContext context;
    const Result r = model->run(small_job(*model), context);
    EXPECT_EQ(r.arrays.at("val_steps").ints(), (std::vector<std::int64_t>{0, 10, 20}));
    EXPECT_EQ(r.arrays.at("dkls").shape, (std::vector<std::size_t>{3}));
    EXPECT_EQ(r.arrays.at("all_asym").shape, (std::vector<std::size_t>{3}));
    EXPECT_EQ(r.arrays.at("all_weights").shape, (std::vector<std::size_t>{3, 4, 4}));
    EXPECT_EQ(r.arrays.at("all_biases").shape, (std::vector<std::size_t>{3, 4}));
    EXPECT_EQ(r.arrays.at("all_distr").shape, (std::vector<std::size_t>{3, 16}));
    EXPECT_EQ(r.arrays.at("target_distr").shape, (std::vector<std::size_t>{16}));
    EXPECT_EQ(r.metrics.at("final_dkl"), r.arrays.at("dkls").reals().back());
    EXPECT_LE(r.metrics.at("min_dkl"), r.metrics.at("final_dkl"));
    // 21 epochs of 5000 steps, 3 of them 5× longer.
    EXPECT_EQ(r.metrics.at("simulated_steps"), 21 * 5000 + 3 * 4 * 5000);
    EXPECT_GT(r.metrics.at("mean_rate"), 0.05);
    EXPECT_LT(r.metrics.at("mean_rate"), 1.0);
    EXPECT_GT(model->estimate_cost(small_job(*model)), 0.0);
}

TEST(SsnModel, CostEstimatesFollowTheTargetsActivity) {
    // Spikes simulated by full published syn_noise_sal jobs (sweeps/ssn_noise.yaml, measured in
    // session 6): the distribution seed alone moves a job's length by 1.4×, and longest-first
    // scheduling needs the estimates to see it. Their ratio must match the spikes' within 2%.
    const ModelPtr model = make_ssn_model();
    const auto cost = [&](int seed_distr) {
        Params p = default_params(model->info());
        set_path(p, "lr.symm", 0.01);
        set_path(p, "seed.distr", seed_distr);
        return model->estimate_cost(p);
    };
    const double spikes_4322 = 1.99034e8;
    const double spikes_4235 = 2.78658e8;
    EXPECT_NEAR(cost(4235) / cost(4322), spikes_4235 / spikes_4322, 0.02 * spikes_4235 / spikes_4322);
    // Beyond the enumerated sizes, the same dim-only estimate for every target.
    Params big = default_params(model->info());
    set_path(big, "dim", 13);
    Params other = big;
    set_path(other, "seed.distr", 1);
    EXPECT_EQ(model->estimate_cost(big), model->estimate_cost(other));
}

TEST(SsnModel, BitwiseReproducibleAndSeeded) {
    const ModelPtr model = make_ssn_model();
    RunContext context;
    const Params p = small_job(*model);
    const Result a = model->run(p, context);
    const Result b = model->run(p, context);
    EXPECT_EQ(a.arrays.at("all_weights").reals(), b.arrays.at("all_weights").reals());
    EXPECT_EQ(a.arrays.at("all_distr").reals(), b.arrays.at("all_distr").reals());
    Params other = p;
    set_path(other, "seed.sim", 1);
    const Result c = model->run(other, context);
    EXPECT_NE(a.arrays.at("all_weights").reals(), c.arrays.at("all_weights").reals());
    EXPECT_EQ(a.arrays.at("target_distr").reals(), c.arrays.at("target_distr").reals());
}

TEST(SsnModel, StopsWhenCancelled) {
    const ModelPtr model = make_ssn_model();
    std::atomic<bool> stop{true};
    RunContext context(std::nullopt, &stop);
    EXPECT_THROW(model->run(small_job(*model), context), JobCancelled);
}

TEST(SsnSetup, SeededDrawsHaveTheReferenceStructure) {
    const ModelPtr model = make_ssn_model();
    Params p = default_params(model->info());
    set_path(p, "init_noise", 0.4);
    set_path(p, "stdp.ws.noise", 0.05);
    const ssn::SsnConfig config = ssn::SsnConfig::from_params(p);
    const ssn::SsnProblem problem = ssn::make_problem(config);

    EXPECT_TRUE(problem.w_target.isApprox(problem.w_target.transpose()));
    EXPECT_EQ(problem.w_target.diagonal().cwiseAbs().maxCoeff(), 0.0);
    EXPECT_LE(problem.w_target.cwiseAbs().maxCoeff(), 1.0);
    EXPECT_LE(problem.b_target.cwiseAbs().maxCoeff(), 1.0);
    // Initial weights: symmetric part plus noise on every entry, the diagonal included.
    EXPECT_GT(problem.w_init.diagonal().cwiseAbs().minCoeff(), 0.0);
    // Amplitudes: 1 ± noise truncated at 1.5 sd; wake-sleep a_minus = a_plus; SAL is the negated
    // kernel for causal pairs; forward and backward are independent draws.
    EXPECT_EQ(problem.ws_a_plus, problem.ws_a_minus);
    EXPECT_EQ(problem.sal_a_plus, -problem.sal_a_minus);
    EXPECT_LE((problem.ws_a_plus.array() - 1.0).abs().maxCoeff(), 1.5 * 0.05);
    EXPECT_LE((problem.sal_a_minus.array() - 1.0).abs().maxCoeff(), 1.5 * 0.05);
    EXPECT_NE(problem.ws_a_plus(0, 3), problem.ws_a_plus(3, 0));
    EXPECT_NE(problem.ws_a_plus, problem.sal_a_minus);

    // An explicit value replaces only its own draw.
    Params explicit_target = p;
    set_path(explicit_target, "w_target", Json(std::vector<std::vector<double>>(7, std::vector<double>(7, 0.0))));
    const ssn::SsnProblem replaced = ssn::make_problem(ssn::SsnConfig::from_params(explicit_target));
    EXPECT_EQ(replaced.w_target, ssn::Matrix::Zero(7, 7));
    EXPECT_EQ(replaced.b_target, problem.b_target);
    EXPECT_EQ(replaced.ws_a_plus, problem.ws_a_plus);
}

TEST(SsnTraining, TimeSteppedAndEventDrivenTrainAlike) {
    // Same config through both simulation paths: different random streams, same law, so the
    // final DKLs agree within the spread of short runs.
    const ModelPtr model = make_ssn_model();
    Params p = small_job(*model);
    set_path(p, "num_epochs", 41);
    set_path(p, "val_step", 20);
    set_path(p, "val_factor", 20);
    const ssn::SsnConfig config = ssn::SsnConfig::from_params(p);
    double dkl[2];
    int k = 0;
    for (const auto path : {ssn::SimulationPath::event_driven, ssn::SimulationPath::time_stepped}) {
        ssn::Trainer trainer(config, path);
        ssn::TrainingState state = trainer.initial_state();
        while (!trainer.finished(state)) trainer.run_epoch(state);
        dkl[k++] = state.validations.back().dkl;
    }
    EXPECT_NEAR(dkl[0] / dkl[1], 1.0, 0.25) << dkl[0] << " vs " << dkl[1];
}

}  // namespace
}  // namespace sr
