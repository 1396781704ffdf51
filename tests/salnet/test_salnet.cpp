// Model salnet against sal-code's Fig. 7 SAL runs (tests/data/sal/fixtures.json salnet_s0/s1, two
// torch seeds): the notebook's initial weights, and the angle between W and Bᵀ over training with
// our generator over several seeds.
#include "core/models/salnet/network.hpp"
#include "core/numpy_default_rng.hpp"
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include "../support/sal_fixtures.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace sr::salnet {
namespace {

using sal_test::fixtures;

const std::vector<Job>& fig7_jobs() {
    static const std::vector<Job> jobs = expand(load_sweep(SAL_SWEEP_DIR "/sal_fig7.yaml"), builtin_models());
    return jobs;
}

TEST(NumpyDefaultRng, MatchesNumpysDefaultRng) {
    // np.random.default_rng(43).bit_generator.random_raw() and .uniform(-√0.06, √0.06).
    NumpyDefaultRng raw(43);
    EXPECT_EQ(raw.next_u64(), 12032797558513133635ULL);
    NumpyDefaultRng uniform(43);
    EXPECT_EQ(uniform.uniform(-std::sqrt(0.06), std::sqrt(0.06)), 0.07461109636386426);
}

TEST(Salnet, Fig7StartsFromTheNotebooksWeights) {
    const auto& init = fixtures().at("salnet_s0").at("init");
    ASSERT_EQ(fig7_jobs().size(), 8u);
    RunContext context;
    Params p = fig7_jobs().front().params;
    p["epochs"] = 0;
    const Result r = builtin_models().find("salnet")->run(p, context);
    const auto& w = r.arrays.at("w_1").reals();
    const auto& b_t = r.arrays.at("fb_0_t").reals();  // Bᵀ: entry (0, 0) and the sum are B's
    double w_sum = 0.0, b_sum = 0.0;
    for (const double x : w) w_sum += x;
    for (const double x : b_t) b_sum += x;
    // float32-rounded, as the notebook hands them to torch.
    EXPECT_NEAR(w[0], init.at("weight_00").get<double>(), 1e-8);
    EXPECT_NEAR(b_t[0], init.at("fb_00").get<double>(), 1e-8);
    EXPECT_NEAR(w_sum, init.at("weight_sum").get<double>(), 1e-5);
    EXPECT_NEAR(b_sum, init.at("fb_sum").get<double>(), 1e-5);
    EXPECT_NEAR(r.metrics.at("angle_0"), fixtures().at("salnet_s0").at("angle")[0].get<double>(), 1e-4);
}

TEST(Salnet, Fig7AngleFallsAsInTheReference) {
    // The reference (float32, torch's generator): 91.44° → 35.8° / 36.2° at epoch 50 → 14.35° /
    // 14.30° at epoch 100 for its two seeds. Here two seeds of ours, each within the bands.
    const auto& ref = fixtures().at("salnet_s0").at("angle");
    const ModelPtr model = builtin_models().find("salnet");
    ASSERT_TRUE(model);
    for (int k = 0; k < 2; ++k) {
        RunContext context;
        const Result r = model->run(fig7_jobs()[static_cast<std::size_t>(k)].params, context);
        const auto& angle = r.arrays.at("angle").reals();
        ASSERT_EQ(angle.size(), 101u);
        EXPECT_NEAR(angle[0], ref[0].get<double>(), 1e-4);
        EXPECT_NEAR(angle[50], 36.0, 1.5) << "seed " << k;
        EXPECT_NEAR(angle[100], 14.3, 1.0) << "seed " << k;
        EXPECT_GT(r.metrics.at("corr_0"), 0.95);
        // Rates in spikes per t_ref, as the reference's (≈ 0.47 input, 0.50 output layer).
        EXPECT_NEAR(r.metrics.at("rate_0"), 0.49, 0.03);
        EXPECT_NEAR(r.metrics.at("rate_1"), 0.51, 0.03);
    }
}

}  // namespace
}  // namespace sr::salnet

namespace sr {
namespace {

TEST(SalnetSweeps, Fig9IsTheDeepNetOverRatesAndSeeds) {
    const std::vector<Job> jobs = expand(load_sweep(SAL_SWEEP_DIR "/sal_fig9.yaml"), builtin_models());
    ASSERT_EQ(jobs.size(), 9u);
    EXPECT_EQ(get_real_list(jobs[0].params, "dims"), (std::vector<double>{1600, 384, 192, 10}));
    EXPECT_EQ(get_int(jobs[0].params, "steps") * get_int(jobs[0].params, "epochs"), 1000000);
    EXPECT_EQ(get_int(jobs[4].params, "seed"), 1);
    EXPECT_EQ(get_real(jobs[4].params, "lr"), 0.01);
}

TEST(SalnetSweeps, ExplicitMatricesMustFitTheLayers) {
    const ModelPtr model = builtin_models().find("salnet");
    Params p = default_params(model->info());
    set_path(p, "init.weights", Json::array({Json::array({Json::array({1.0, 2.0})})}));
    validate_params(model->info(), p);
    try {
        model->validate(p);
        FAIL() << "a 1 x 2 matrix for a 50 x 50 layer was accepted";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "init.weights");
    }
}

}  // namespace
}  // namespace sr
