// The shared optimizers against optax 0.2.3's update rules. The expected trajectories were worked
// out from optax's formulas with eps and eps_root chosen large enough that putting either in the
// wrong place (inside or outside the square root, stored in the moment or not) changes the result
// in the second digit.
#include "core/optim/optimizer.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

namespace {

using sr::optim::Config;
using sr::optim::Optimizer;
using sr::optim::Schedule;

template <class T>
std::array<T, 3> trajectory(const Config& config) {
    const std::array<T, 3> grads{T(0.5), T(-0.25), T(0.75)};
    Optimizer<T> opt(config, 1);
    std::array<T, 3> out{};
    T p = 0;
    for (int i = 0; i < 3; ++i) {
        const T g = grads[i];
        opt.step(std::span<T>(&p, 1), std::span<const T>(&g, 1));
        out[i] = p;
    }
    return out;
}

TEST(Optimizer, AdaBeliefStoresEpsRootInTheSecondMoment) {
    const auto p = trajectory<double>(Config::adabelief(Schedule::constant(0.1), 0.9, 0.999, 1e-3, 1e-2));
    EXPECT_NEAR(p[0], -0.015612499663250826, 1e-15);
    EXPECT_NEAR(p[1], -0.018912246418920968, 1e-15);
    EXPECT_NEAR(p[2], -0.029606444442246332, 1e-15);
}

TEST(Optimizer, AdamAddsEpsRootUnderTheRoot) {
    const auto p = trajectory<double>(Config::adam(Schedule::constant(0.1), 0.9, 0.999, 1e-3, 1e-2));
    EXPECT_NEAR(p[0], -0.0978661362850008, 1e-15);
    EXPECT_NEAR(p[1], -0.12362299256755632, 1e-15);
    EXPECT_NEAR(p[2], -0.1859799764289204, 1e-15);
}

TEST(Optimizer, FloatVariantFollowsTheDoubleOne) {
    const auto cfg = Config::adabelief(Schedule::constant(0.1), 0.9, 0.999, 1e-3, 1e-2);
    const auto pd = trajectory<double>(cfg);
    const auto pf = trajectory<float>(cfg);
    for (int i = 0; i < 3; ++i) EXPECT_NEAR(pf[i], pd[i], 1e-6);
}

TEST(Optimizer, ClippedSgd) {
    auto cfg = Config::sgd(Schedule::constant(0.1));
    cfg.clip = 0.3;
    // Updates -0.1 * clip(g): -0.03, +0.025, -0.03.
    const auto p = trajectory<double>(cfg);
    EXPECT_DOUBLE_EQ(p[0], -0.03);
    EXPECT_DOUBLE_EQ(p[1], -0.03 + 0.025);
    EXPECT_DOUBLE_EQ(p[2], -0.03 + 0.025 - 0.03);
}

TEST(Optimizer, SgdMomentumIsOptaxTrace) {
    // trace_t = g_t + 0.5 trace_{t-1}: 0.5, 0, 0.75.
    const auto p = trajectory<double>(Config::sgd(Schedule::constant(1.0), 0.5));
    EXPECT_DOUBLE_EQ(p[0], -0.5);
    EXPECT_DOUBLE_EQ(p[1], -0.5);
    EXPECT_DOUBLE_EQ(p[2], -1.25);
}

TEST(Optimizer, ExponentialDecaySchedule) {
    const auto s = Schedule::exponential_decay(1e-2, 2000, 1 / std::exp(1.0));
    EXPECT_DOUBLE_EQ(s(0), 1e-2);
    EXPECT_NEAR(s(2000), 1e-2 / std::exp(1.0), 1e-17);
    EXPECT_NEAR(s(1000), 1e-2 / std::exp(0.5), 1e-17);
    const auto stair = Schedule::exponential_decay(1.0, 10, 0.5, true);
    EXPECT_DOUBLE_EQ(stair(19), 0.5);
}

TEST(Optimizer, ScheduleUsesTheUpdateCountFromZero) {
    // The first update uses the rate at count 0, the second at count 1.
    auto cfg = Config::sgd(Schedule::exponential_decay(1.0, 1, 0.5));
    const auto p = trajectory<double>(cfg);
    EXPECT_DOUBLE_EQ(p[0], -0.5);
    EXPECT_DOUBLE_EQ(p[1], -0.5 + 0.125);
}

TEST(Optimizer, ParseMethodNamesTheChoices) {
    EXPECT_EQ(sr::optim::parse_method("adabelief"), sr::optim::Method::adabelief);
    try {
        sr::optim::parse_method("rmsprop");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("sgd, adam, adabelief"), std::string::npos);
    }
}

TEST(Optimizer, RejectsAChangedParameterCount) {
    Optimizer<double> opt(Config::sgd(Schedule::constant(0.1)), 2);
    std::array<double, 3> p{}, g{};
    EXPECT_THROW(opt.step(p, g), std::invalid_argument);
}

}  // namespace

namespace {

TEST(Optimizer, UpdatesWithoutApplyingThem) {
    // updates() hands out what step() would add, and advances the state the same way.
    const auto cfg = Config::adabelief(Schedule::constant(0.1));
    Optimizer<double> a(cfg, 2);
    Optimizer<double> b(cfg, 2);
    std::array<double, 2> p{1.0, -2.0}, g{0.3, -0.7}, u{};
    for (int i = 0; i < 2; ++i) {
        a.step(p, g);
        b.updates(g, u);
    }
    const std::array<double, 2> before = p;
    a.step(p, g);
    b.updates(g, u);
    EXPECT_EQ(p[0], before[0] + u[0]);
    EXPECT_EQ(p[1], before[1] + u[1]);
    EXPECT_EQ(b.count(), 3);
}

}  // namespace
