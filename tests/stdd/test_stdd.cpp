// The exact STDDs against the values of sal-code's stddc (tests/data/sal/fixtures.json, computed
// by running the reference's own functions; deterministic, compared to 1e-10).
#include "core/models/stdd/chain.hpp"
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"

#include "../support/sal_fixtures.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <fstream>

namespace sr::stdd {
namespace {

constexpr double kTolerance = 1e-10;

using sal_test::fixtures;

// Value at lag dt of an STDD over −(t_max − 1) … t_max − 1.
double at(const std::vector<double>& values, int t_max, int dt) {
    return values[static_cast<std::size_t>(dt + t_max - 1)];
}

// The summary the fixtures hold for one STDD (stdd.ipynb's Fig. 2c panels, stddc's main()).
void expect_summary(const ChainParams& c, const nlohmann::json& want) {
    const int t_max = c.t_max;
    const std::vector<double> values = stdd(c, Middle::zero);
    double sum_left = 0.0, sum_right = 0.0, mean_left = 0.0, mean_right = 0.0;
    for (int dt = 1; dt < t_max; ++dt) {
        sum_left += at(values, t_max, -dt);
        sum_right += at(values, t_max, dt);
        mean_left -= dt * at(values, t_max, -dt);
        mean_right += dt * at(values, t_max, dt);
    }
    EXPECT_NEAR(sum_left, want.at("sum_left").get<double>(), kTolerance);
    EXPECT_NEAR(sum_right, want.at("sum_right").get<double>(), kTolerance);
    EXPECT_NEAR(mean_left / sum_left, want.at("mean_left").get<double>(), 1e-8);  // lags up to 100
    EXPECT_NEAR(mean_right / sum_right, want.at("mean_right").get<double>(), 1e-8);
    EXPECT_NEAR(at(values, t_max, 1), want.at("right_1").get<double>(), kTolerance);
    EXPECT_NEAR(at(values, t_max, c.t_ref), want.at("right_tref").get<double>(), kTolerance);
    EXPECT_NEAR(at(values, t_max, -1), want.at("left_m1").get<double>(), kTolerance);
    const int argmax_left = want.at("argmax_left");
    const int argmax_right = want.at("argmax_right");
    EXPECT_NEAR(at(values, t_max, argmax_left), want.at("max_left").get<double>(), kTolerance);
    EXPECT_NEAR(at(values, t_max, argmax_right), want.at("max_right").get<double>(), kTolerance);
    for (int dt = 1; dt < t_max; ++dt) {
        EXPECT_LE(at(values, t_max, -dt), at(values, t_max, argmax_left) + kTolerance);
        EXPECT_LE(at(values, t_max, dt), at(values, t_max, argmax_right) + kTolerance);
    }
    const auto [sal_12, sal_21] = sal(values, t_max, SalWindow{-1.0, 1.0, double(c.t_ref), double(c.t_ref)});
    EXPECT_NEAR(sal_12, want.at("sal")[0].get<double>(), kTolerance);
    EXPECT_NEAR(sal_21, want.at("sal")[1].get<double>(), kTolerance);
}

TEST(Stdd, Fig2cExcitatoryAndInhibitoryPanels) {
    // stdd.ipynb: t_ref = t_syn = 50, t_max = 102, biases −0.5; the notebook passes (w_21, w_12)
    // = (0.8, 0.4) as the constructor's (w_12, w_21), and their mean for the symmetric curve.
    const auto& f = fixtures().at("stdd");
    const auto chain = [](double w_a, double w_b) {
        return ChainParams::from_constructor(Psp::rect, 102, 50, 50.0, w_a, w_b, -0.5, -0.5);
    };
    {
        SCOPED_TRACE("excitatory, asymmetric");
        expect_summary(chain(0.8, 0.4), f.at("stdd_exc_asym"));
    }
    {
        SCOPED_TRACE("excitatory, symmetric");
        expect_summary(chain(0.6000000000000001, 0.6000000000000001), f.at("stdd_exc_symm"));
    }
    {
        SCOPED_TRACE("inhibitory, asymmetric");
        expect_summary(chain(-0.8, -0.4), f.at("stdd_inh_asym"));
    }
    {
        SCOPED_TRACE("inhibitory, symmetric");
        expect_summary(chain(-0.6000000000000001, -0.6000000000000001), f.at("stdd_inh_symm"));
    }
}

TEST(Stdd, MainExampleValues) {
    const auto& want = fixtures().at("stdd").at("main_default");
    const ChainParams c = ChainParams::from_constructor(Psp::rect, 30, 10, 10.0, 0.5, 1.0, 0.0, 0.0);
    expect_summary(c, want);
    const std::vector<double> values = stdd(c, Middle::zero);
    for (int k = 0; k < 5; ++k) {
        EXPECT_NEAR(values[static_cast<std::size_t>(k)], want.at("stdd_first5")[k].get<double>(), kTolerance) << k;
        EXPECT_NEAR(at(values, 30, k - 2), want.at("stdd_around0")[k].get<double>(), kTolerance) << k;
    }
}

// plots_for_proof.ipynb (Fig. 12): δ(t) = p_ε(t) − p_0(t) − (p_ε(−t) − p_0(−t)) for t ≥ 0 after
// moving ε = 0.05 of weight from one direction to the other, its trapezoid integral and the
// running integral Δ.
void expect_proof(double w, const nlohmann::json& want) {
    constexpr int t_ref = 40, t_max = 80;
    const auto p0 = stdd(ChainParams::from_constructor(Psp::rect, t_max, t_ref, 40.0, w, w, 0.0, 1.0), Middle::smooth);
    const auto pe = stdd(ChainParams::from_constructor(Psp::rect, t_max, t_ref, 40.0, w + 0.05, w - 0.05, 0.0, 1.0),
                         Middle::smooth);
    std::vector<double> d;
    for (int dt = 0; dt < t_max; ++dt) {
        d.push_back(at(pe, t_max, dt) - at(p0, t_max, dt) - (at(pe, t_max, -dt) - at(p0, t_max, -dt)));
    }
    ASSERT_EQ(static_cast<int>(d.size()), want.at("len_d").get<int>());
    const auto trapezoid = [&](std::size_t n) {
        double s = 0.0;
        for (std::size_t k = 1; k < n; ++k) s += 0.5 * (d[k - 1] + d[k]);
        return s;
    };
    EXPECT_NEAR(trapezoid(d.size()), want.at("int_delta").get<double>(), kTolerance);
    EXPECT_NEAR(d[0], want.at("d0").get<double>(), kTolerance);
    EXPECT_NEAR(d[t_ref], want.at("d_tref").get<double>(), kTolerance);
    double lo = INFINITY, hi = -INFINITY;
    for (std::size_t n = 1; n < d.size(); ++n) {
        lo = std::min(lo, trapezoid(n));
        hi = std::max(hi, trapezoid(n));
    }
    EXPECT_NEAR(lo, want.at("min_bigdelta").get<double>(), kTolerance);
    EXPECT_NEAR(hi, want.at("max_bigdelta").get<double>(), kTolerance);
    int sign_changes = 0;
    for (std::size_t k = 2; k < d.size(); ++k) sign_changes += (d[k] > 0) != (d[k - 1] > 0);
    EXPECT_EQ(sign_changes, want.at("sign_changes_d").get<int>());
}

TEST(Stdd, Fig12ProofIntegrals) {
    expect_proof(0.5, fixtures().at("stdd").at("proof_exc"));
    expect_proof(-0.5, fixtures().at("stdd").at("proof_inh"));
}

TEST(Stdd, Fig2ePhasePlaneSamples) {
    // ppd.ipynb: t_ref = t_syn = 15, t_max = 30. PPDMaker sets the chain's w_21 to the row weight
    // and w_12 to the column weight, i.e. the constructor's w_12 and w_21.
    const auto& samples = fixtures().at("ppd").at("samples");
    const std::pair<double, double> points[] = {{1.5, 0.5}, {0.5, 1.5}, {-1.0, 1.0}, {2.0, -2.0}, {-0.5, -1.5}, {1.0, 0.75}};
    for (const auto& [w21, w12] : points) {
        char name[64];
        std::snprintf(name, sizeof name, "w21=%.1f,w12=%.1f", w21, w12);
        std::string key = name;
        if (!samples.contains(key)) {
            std::snprintf(name, sizeof name, "w21=%.1f,w12=%.2f", w21, w12);
            key = name;
        }
        SCOPED_TRACE(key);
        const ChainParams c = ChainParams::from_constructor(Psp::rect, 30, 15, 15.0, w21, w12, 0.0, 0.0);
        const auto [sal_12, sal_21] = sal(stdd(c, Middle::zero), 30, SalWindow{-1.0, 1.0, 15.0, 15.0});
        EXPECT_NEAR(sal_12, samples.at(key)[0].get<double>(), kTolerance);
        EXPECT_NEAR(sal_21, samples.at(key)[1].get<double>(), kTolerance);
        EXPECT_EQ(sal_21, -sal_12);
    }
}

// Model defaults with `overrides` set (dotted keys).
Params stdd_params(const Model& model, const nlohmann::json& overrides) {
    Params p = default_params(model.info());
    for (const auto& [key, value] : overrides.items()) set_path(p, key, value);
    validate_params(model.info(), p);
    return p;
}

TEST(Stdd, ModelReportsSalAndHalves) {
    const ModelPtr model = builtin_models().find("stdd");
    ASSERT_TRUE(model);
    RunContext context;
    const Result r = model->run(stdd_params(*model, {{"t_max", 30}, {"t_ref", 10}, {"w_12", 0.5}, {"w_21", 1.0}}), context);
    const auto& want = fixtures().at("stdd").at("main_default");
    EXPECT_NEAR(r.metrics.at("sal_12"), want.at("sal")[0].get<double>(), kTolerance);
    EXPECT_NEAR(r.metrics.at("sal_21"), want.at("sal")[1].get<double>(), kTolerance);
    EXPECT_NEAR(r.metrics.at("mean_right"), want.at("mean_right").get<double>(), 1e-9);
    EXPECT_EQ(r.metrics.at("argmax_left"), want.at("argmax_left").get<double>());
    EXPECT_TRUE(std::isnan(r.arrays.at("stdd").reals()[29]));
    EXPECT_EQ(r.arrays.at("times").ints().front(), -29);
}

TEST(Stdd, EveryPspKernelGivesANormalisedStdd) {
    for (const char* name : {"rect", "exp", "cutoff", "tail", "alpha"}) {
        SCOPED_TRACE(name);
        const ChainParams c = ChainParams::from_constructor(parse_psp(name), 20, 10, 10.0 / 3.0, 0.7, -0.4, 0.3, -0.2);
        const auto values = stdd(c, Middle::zero);
        double left = 0.0, right = 0.0;
        for (int dt = 1; dt < 20; ++dt) {
            left += at(values, 20, -dt);
            right += at(values, 20, dt);
            EXPECT_GE(at(values, 20, dt), 0.0);
        }
        EXPECT_NEAR(left, 0.5, 1e-12);
        EXPECT_NEAR(right, 0.5, 1e-12);
    }
    EXPECT_THROW(parse_psp("gauss"), std::invalid_argument);
}

TEST(Stdd, BadParametersNameTheKey) {
    const ModelPtr model = builtin_models().find("stdd");
    ASSERT_TRUE(model);
    try {
        model->validate(stdd_params(*model, {{"t_max", 10}, {"t_ref", 10}}));
        FAIL() << "t_ref = t_max accepted";
    } catch (const ParamError& e) {
        EXPECT_EQ(e.key, "t_ref");
    }
}

}  // namespace
}  // namespace sr::stdd

namespace sr {
namespace {

std::vector<Job> sweep_jobs(const char* file) {
    return expand(load_sweep(std::string(SAL_SWEEP_DIR) + "/" + file), builtin_models());
}

TEST(StddSweeps, Fig2eIsPpdMakersGrid) {
    const std::vector<Job> jobs = sweep_jobs("sal_fig2e.yaml");
    ASSERT_EQ(jobs.size(), 289u);
    // PPDMaker's sal_grid[i, j]: row weight w_range[i] (the constructor's w_12), column w_range[j].
    for (std::size_t k = 0; k < jobs.size(); ++k) {
        EXPECT_EQ(get_real(jobs[k].params, "w_12"), -2.0 + 0.25 * static_cast<double>(k / 17));
        EXPECT_EQ(get_real(jobs[k].params, "w_21"), -2.0 + 0.25 * static_cast<double>(k % 17));
    }
    EXPECT_EQ(get_int(jobs[0].params, "t_max"), 30);
    EXPECT_EQ(get_int(jobs[0].params, "t_ref"), 15);
}

TEST(StddSweeps, Fig11HasTwentyFourThousandThreeHundredPoints) {
    const std::vector<Job> jobs = sweep_jobs("sal_fig11.yaml");
    ASSERT_EQ(jobs.size(), 24300u);
    const char* psp[] = {"rect", "alpha", "alpha"};
    const double t_syn[] = {10.0, 10.0 / 3.0, 5.0};
    for (std::size_t block = 0; block < 3; ++block) {
        const Job& first = jobs[block * 8100];
        EXPECT_EQ(get_string(first.params, "psp"), psp[block]);
        EXPECT_EQ(get_real(first.params, "t_syn"), t_syn[block]);
        EXPECT_EQ(get_int(first.params, "t_max"), 20);
    }
    // The bias pair outermost (the chain's b_1 = the constructor's b_2), then the weight grid.
    EXPECT_EQ(get_real(jobs[100].params, "b_2"), -1.0);
    EXPECT_EQ(get_real(jobs[100].params, "b_1"), -0.75);
    EXPECT_EQ(get_real(jobs[900].params, "b_2"), -0.75);
    double cost = 0.0;
    for (const Job& job : jobs) cost += job.cost;
    EXPECT_LT(cost, 60.0);  // tiny jobs: the sweep is a test of dispatch, not of compute
}

TEST(StddSweeps, Fig2cAndFig12AreTheNotebooksStdds) {
    const std::vector<Job> jobs = sweep_jobs("sal_fig2c_fig12.yaml");
    ASSERT_EQ(jobs.size(), 8u);
    EXPECT_EQ(get_real(jobs[0].params, "w_12"), 0.8);
    EXPECT_EQ(get_int(jobs[0].params, "t_max"), 102);
    EXPECT_EQ(get_string(jobs[5].params, "middle"), "smooth");
    EXPECT_EQ(get_real(jobs[5].params, "w_12"), 0.5 + 0.05);
}

}  // namespace
}  // namespace sr
