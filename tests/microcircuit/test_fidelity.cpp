// Fidelity against the published code: the reduced (8-epoch) reference runs in
// tests/data/microcircuit, repeated from the same initial weights with several of our seeds, and
// the qualitative outcome of the SAL paper's Fig. 6 (SAL aligns the feedback sign and learns like
// backprop, feedback alignment does not when the signs disagree).
#include "tests/microcircuit/fixtures.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <string>

namespace sr {
namespace {

using microcircuit_test::load_reference;
using microcircuit_test::reference_params;

constexpr int kSeeds = 8;

// Our run s of a reference configuration: every seed moved to an independent value.
Params with_seed(Params p, int s) {
    auto& student = p["student_simulation_settings"];
    student["poisson_seed"] = student["poisson_seed"].get<long long>() + 7919 * (s + 1);
    student["training_seed"] = student["training_seed"].get<long long>() + 7907 * (s + 1);
    auto& teacher = p["teacher_simulation_settings"];
    teacher["poisson_seed"] = teacher["poisson_seed"].get<long long>() + 7901 * (s + 1);
    return p;
}

struct Spread {
    double min, median, max;
};

Spread spread(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return {v.front(), n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]), v.back()};
}

// Tolerances around our spread of kSeeds runs: eight runs underestimate the full range, so it is
// widened by 10% of the median, plus 5e-4 for the loss (the floor of the validation loss that a
// trained 1-1-1 student reaches in the SAL runs is ~1e-3 and varies by a factor ~1.5 between
// teacher realisations) and plus 0.1 for the weights (the size of one epoch's drift).
constexpr double kRelativeSlack = 0.10;
constexpr double kLossSlack = 5e-4;
constexpr double kWeightSlack = 0.10;

bool inside(double value, const Spread& s, double absolute) {
    const double slack = kRelativeSlack * std::abs(s.median) + absolute;
    return value >= s.min - slack && value <= s.max + slack;
}

struct Coverage {
    int inside = 0;
    int total = 0;
};

// Our runs of one reduced reference configuration, from the reference's own initial weights.
void compare_with_reference(const std::string& name, Coverage& coverage) {
    SCOPED_TRACE(name);
    const Json ref = load_reference(name);
    const Params params = reference_params(ref);
    const ModelPtr model = make_microcircuit_model();
    model->validate(params);
    const std::vector<double> ref_loss = ref.at("validation_loss").get<std::vector<double>>();
    const std::size_t epochs = ref_loss.size();
    const Json& traj = ref.at("per_pattern");
    const char* names[] = {"w_up_layer1", "w_down_layer1", "w_up_layer2"};

    std::vector<std::vector<double>> loss(epochs);
    std::vector<std::vector<std::vector<double>>> weights(3, std::vector<std::vector<double>>(epochs));
    RunContext context;
    for (int s = 0; s < kSeeds; ++s) {
        const Result r = model->run(with_seed(params, s), context);
        ASSERT_EQ(r.arrays.at("validation_loss").size(), epochs);
        for (std::size_t e = 0; e < epochs; ++e) {
            loss[e].push_back(r.arrays.at("validation_loss").reals()[e]);
            for (int w = 0; w < 3; ++w) weights[w][e].push_back(r.arrays.at(names[w]).reals()[e + 1]);
        }
    }
    for (std::size_t e = 0; e < epochs; ++e) {
        const Spread l = spread(loss[e]);
        std::printf("%s epoch %zu: validation loss reference %.4g, ours %.4g [%.4g, %.4g]\n", name.c_str(),
                    e + 1, ref_loss[e], l.median, l.min, l.max);
        EXPECT_TRUE(inside(ref_loss[e], l, kLossSlack)) << "epoch " << e + 1;
        coverage.inside += ref_loss[e] >= l.min && ref_loss[e] <= l.max;
        ++coverage.total;
        // The reference records weights averaged over each pattern; they are constant during the
        // last validation pattern of an epoch, so that entry is the epoch-end weight.
        const std::size_t last = (e + 1) * 26 - 1;
        for (int w = 0; w < 3; ++w) {
            const double value = traj.at(names[w])[last][0][0].get<double>();
            const Spread sw = spread(weights[w][e]);
            EXPECT_TRUE(inside(value, sw, kWeightSlack))
                << names[w] << " epoch " << e + 1 << ": reference " << value << ", ours [" << sw.min
                << ", " << sw.max << "]";
        }
    }
}

// Every reference run inside our spread (with the slack above); and pooled over runs and epochs: if
// the reference and our model draw from the same distribution, the reference value falls inside
// the raw range of 8 of our runs with probability 7/9 = 78% (epochs within a run are correlated,
// so allow down to 60%).
TEST(MicrocircuitFidelity, ReducedReferenceRunsWithinOurSpread) {
    Coverage coverage;
    for (const char* name : {"bp0", "bp1", "fa0", "fa1", "sal0", "sal1"}) compare_with_reference(name, coverage);
    const double fraction = static_cast<double>(coverage.inside) / coverage.total;
    std::printf("reference losses inside our raw range: %d of %d (%.0f%%)\n", coverage.inside,
                coverage.total, 100.0 * fraction);
    EXPECT_GE(fraction, 0.60);
}

// Fig. 6's point, from fa1's initial weights, whose feedback (-0.42) disagrees in sign with the
// forward weight it mirrors (+1.79): with SAL the feedback weight flips to the forward weight's
// sign and the loss approaches backprop's; frozen feedback (FA) stays misaligned and does not learn.
TEST(MicrocircuitFidelity, SalAlignsFeedbackAndLearnsLikeBackpropWhereFaFails) {
    const ModelPtr model = make_microcircuit_model();
    Params base = reference_params(load_reference("fa1"));
    base["student_simulation_settings"]["num_epochs"] = 30;
    struct Variant {
        const char* name;
        double lr_down;
        bool update_down;
    };
    const Variant variants[] = {{"sal", 0.001, true}, {"fa", 0.0, true}, {"bp", 0.0, false}};
    std::map<std::string, std::vector<double>> late_loss;
    RunContext context;
    for (const Variant& v : variants) {
        Params p = base;
        p["network_properties"]["lr"][0]["down"] = v.lr_down;
        p["student_simulation_settings"]["update_down"] = v.update_down;
        for (int s = 0; s < 3; ++s) {
            const Result r = model->run(with_seed(p, s), context);
            const auto& loss = r.arrays.at("validation_loss").reals();
            double mean = 0.0;
            for (std::size_t e = loss.size() - 5; e < loss.size(); ++e) mean += loss[e] / 5.0;
            late_loss[v.name].push_back(mean);
            const double w_down = r.arrays.at("w_down_layer1").reals().back();
            const double w_up2 = r.arrays.at("w_up_layer2").reals().back();
            std::printf("%s seed %d: loss (last 5 epochs) %.4g, w_down %.2f, w_up2 %.2f, angle %.0f deg\n",
                        v.name, s, mean, w_down, w_up2, r.metrics.at("feedback_angle_deg"));
            EXPECT_GT(w_up2, 0.0) << v.name;
            if (std::string(v.name) == "fa") {
                EXPECT_EQ(w_down, -0.421130164353567);  // frozen
                EXPECT_EQ(r.metrics.at("sign_agreement"), 0.0);
                EXPECT_GT(mean, 0.05);  // FA stays near its initial loss (~0.12)
            } else {
                EXPECT_GT(w_down, 0.0) << v.name;
                EXPECT_EQ(r.metrics.at("sign_agreement"), 1.0) << v.name;
            }
        }
    }
    const double sal = spread(late_loss["sal"]).median;
    const double bp = spread(late_loss["bp"]).median;
    const double fa = spread(late_loss["fa"]).median;
    EXPECT_LT(sal, 2.5 * bp);  // approaches backprop (SAL first has to flip the feedback sign)
    EXPECT_LT(sal, 0.1 * fa);
}

}  // namespace
}  // namespace sr
