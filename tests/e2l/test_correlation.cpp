// e2l.correlation against the reference's fitness values on its own inputs (evolution trials 1
// and 4 of ../shared/reference/e2l/correlation.h5, the trials where the published rules score
// their minimum), and the model's parameter handling on tiny generated inputs.
#include "core/models/e2l/correlation.hpp"
#include "core/models/e2l/e2l_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

namespace sr {
namespace {

Result score(const std::string& depress, const std::string& facilitate, int trial) {
    const ModelPtr model = make_e2l_correlation_model();
    Params p = default_params(model->info());
    set_path(p, "inputs.file", std::string(E2L_TEST_DATA_DIR) + "/correlation_evolution_trial" + std::to_string(trial) + ".h5");
    set_path(p, "inputs.trials", Json::array({trial}));
    set_path(p, "rule.depress", depress);
    set_path(p, "rule.facilitate", facilitate);
    RunContext context;
    return model->run(p, context);
}

// The reference README asks for 1e-6 relative; we agree to ~1e-14, so a tighter bound catches
// changes of the simulation's semantics that 1e-6 could let through.
constexpr double kRelative = 1e-9;

TEST(E2lCorrelation, PublishedRuleLR1MatchesTheReferenceFitness) {
    // Trial 4 is the minimum over the 8 evolution trials, so it is the fitness.
    const double f = score("x_0*x_1 - x_0 - x_1", "-x_0 + x_1", 4).metrics.at("fitness");
    EXPECT_NEAR(f, 10.986599805733952, kRelative * 10.986599805733952);
}

TEST(E2lCorrelation, PublishedRuleLR2MatchesTheReferenceFitness) {
    const double f = score("-x_0 + x_1/x_0", "(x_0*x_1)**x_0 - 1.0", 4).metrics.at("fitness");
    EXPECT_NEAR(f, 20.88406638496028, kRelative * 20.88406638496028);
}

TEST(E2lCorrelation, ConstantFacilitationMatchesTheReferenceFitness) {
    // The reference gives 1.9192 (4 digits); its minimum trial is trial 1.
    const Result r = score("0", "10.0", 1);
    EXPECT_NEAR(r.metrics.at("fitness"), 1.9192, 5e-5);
    EXPECT_GT(r.metrics.at("post_rate_learn"), 50.0);  // weights at Wmax: the neuron fires a lot
}

// A sample of the published runs' (rule pair, fitness) records (tests/data/e2l/
// published_records_sample.json; tools/e2l_published_records.py scores all of them), each on the
// trial where it scores its minimum, so that trial's SNR is the published fitness.
TEST(E2lCorrelation, PublishedRecordsSampleMatches) {
    std::ifstream in(std::string(E2L_TEST_DATA_DIR) + "/published_records_sample.json");
    const Json sample = Json::parse(in);
    ASSERT_GE(sample.at("records").size(), 8u);
    for (const Json& r : sample.at("records")) {
        const double want = r.at("fitness").get<double>();
        const double got = score(r.at("depress").get<std::string>(), r.at("facilitate").get<std::string>(),
                                 r.at("min_trial").get<int>())
                               .metrics.at("fitness");
        EXPECT_NEAR(got, want, 1e-9 * want) << "run " << r.at("run") << " generation " << r.at("generation");
    }
}

TEST(E2lCorrelation, ZooAndNanRulesScoreMinusInfinityUnsimulated) {
    const Result r = score("x_0/(x_1 - x_1)", "x_1", 4);
    EXPECT_EQ(r.metrics.at("fitness"), -std::numeric_limits<double>::infinity());
    EXPECT_EQ(r.metrics.at("invalid_rule"), 1.0);
    EXPECT_TRUE(r.arrays.empty());
}

Params tiny(const Model& model) {
    Params p = default_params(model.info());
    set_path(p, "task.Npre", 50);
    set_path(p, "task.bg_rate", 40.0);
    set_path(p, "T_learn", 3000.0);
    set_path(p, "T_snr", 2000.0);
    set_path(p, "inputs.trials", Json::array({0, 1}));
    set_path(p, "w0", 0.3);
    set_path(p, "rule.depress", "x_0*x_1");
    set_path(p, "rule.facilitate", "1 - x_0");
    return p;
}

TEST(E2lCorrelation, GeneratedInputsAreDeterministicPerSeed) {
    const ModelPtr model = make_e2l_correlation_model();
    Params p = tiny(*model);
    RunContext context;
    const Result a = model->run(p, context);
    const Result b = model->run(p, context);
    EXPECT_EQ(a.arrays.at("snr").reals(), b.arrays.at("snr").reals());
    EXPECT_TRUE(std::isfinite(a.metrics.at("fitness")));
    set_path(p, "inputs.seed", 1);
    const Result c = model->run(p, context);
    EXPECT_NE(a.arrays.at("snr").reals(), c.arrays.at("snr").reals());
}

TEST(E2lCorrelation, GeneratedInputsFollowTheReferenceConstruction) {
    e2l::PatternTaskParams p;
    p.n_inputs = 400;
    p.T = 5000.0;
    Rng rng(7);
    const e2l::GeneratedInput in = e2l::generate_pattern_input(p, rng);
    ASSERT_EQ(in.window_start.size(), 10u);  // onsets 400.1 + 500 k below T
    EXPECT_DOUBLE_EQ(in.window_start.front(), 400.1);
    // A neuron carries the pattern when its single 100 ms draw lands inside (p = 1 - e^-0.3):
    // it then spikes at the same offset in every window.
    int carriers = 0;
    for (std::size_t i = 0; i < in.trains.size(); ++i) {
        int inside = 0;
        for (auto j = in.trains.offsets[i]; j < in.trains.offsets[i + 1]; ++j) {
            const double t = in.trains.times[static_cast<std::size_t>(j)];
            for (std::size_t k = 0; k < in.window_start.size(); ++k) {
                if (t > in.window_start[k] && t <= in.window_stop[k]) ++inside;
            }
        }
        EXPECT_TRUE(inside == 0 || inside == 10) << i;
        carriers += inside == 10;
    }
    EXPECT_NEAR(carriers / 400.0, 1.0 - std::exp(-0.3), 0.07);
}

TEST(E2lCorrelation, ErrorsNameTheParameter) {
    const ModelPtr model = make_e2l_correlation_model();
    Params p = tiny(*model);
    set_path(p, "rule.facilitate", "x_0 +* 2");
    try {
        model->validate(p);
        FAIL() << "no error";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "rule.facilitate");
    }
    p = tiny(*model);
    set_path(p, "rule.depress", "x_2");
    RunContext context;
    try {
        model->validate(p);
        FAIL() << "no error";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "rule.depress");
    }
    p = tiny(*model);
    set_path(p, "inputs.file", std::string(E2L_TEST_DATA_DIR) + "/correlation_evolution_trial4.h5");
    set_path(p, "inputs.trials", Json::array({3}));
    try {
        model->run(p, context);
        FAIL() << "no error";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "inputs.trials");
        EXPECT_NE(std::string(e.what()).find("inputs.trials: "), std::string::npos) << e.what();
    }
    set_path(p, "inputs.file", "no/such/file.h5");
    try {
        model->validate(p);
        FAIL() << "no error";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "inputs.file");
    }
    // A zoo rule is a valid parameter (it scores -inf), not an error.
    p = tiny(*model);
    set_path(p, "rule.depress", "1/(x_0 - x_0)");
    EXPECT_NO_THROW(model->validate(p));
}

}  // namespace
}  // namespace sr
