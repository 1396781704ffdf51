// The NEST pieces of the e2l tasks against NEST's semantics (27dc242): grid rounding, the
// iaf_psc_delta update, the spike archive's strict and inclusive bounds, stdp_sympy_synapse.
#include "core/models/e2l/nest_like.hpp"
#include "core/models/e2l/spike_input.hpp"
#include "core/models/e2l/stdp_sympy.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sr::e2l {
namespace {

TEST(NestLike, GridRoundsToTicsAndRejectsOffGridTimes) {
    const Grid grid(0.1);
    EXPECT_EQ(grid.step_of(412.40000000000003), 4124);  // float noise as in the fixtures
    EXPECT_EQ(grid.step_of(0.1), 1);
    EXPECT_THROW(grid.step_of(0.05), std::invalid_argument);
    EXPECT_EQ(grid.steps(2.0), 20);
    EXPECT_EQ(grid.ms(4001), 400100 * (1.0 / 1000.0));  // Time::get_ms: tics times 1/1000
}

TEST(NestLike, IafPscDeltaIntegratesExactlyAndIgnoresRefractoryInput) {
    IafPscDeltaParams p;
    p.tau_m = 18.0;
    p.E_L = 0.0;
    p.V_reset = 0.0;
    p.V_th = 20.0;
    const Grid grid(0.1);
    IafPscDelta n(p, grid, 10.0);
    EXPECT_FALSE(n.step(0.0));
    EXPECT_DOUBLE_EQ(n.V_m(), 10.0 * std::exp(-0.1 / 18.0));
    EXPECT_TRUE(n.step(15.0));  // crosses 20 mV: spike at the end of the step, reset
    EXPECT_EQ(n.V_m(), 0.0);
    for (int k = 0; k < 20; ++k) EXPECT_FALSE(n.step(50.0)) << k;  // t_ref = 2 ms: input lost
    EXPECT_EQ(n.V_m(), 0.0);
    EXPECT_FALSE(n.step(5.0));
    EXPECT_DOUBLE_EQ(n.V_m(), 5.0);
}

TEST(NestLike, ArchiveTraceIsStrictlyBeforeAndHistoryIsHalfOpen) {
    SpikeArchive a(20.0);
    EXPECT_EQ(a.K_value(5.0), 0.0);  // no spike yet
    a.add_spike(1.0);
    a.add_spike(3.0);
    // A spike at exactly t does not count for the trace at t.
    EXPECT_DOUBLE_EQ(a.K_value(3.0), std::exp(-0.1));
    const double K3 = std::exp((1.0 - 3.0) / 20.0) + 1.0;
    EXPECT_DOUBLE_EQ(a.K_value(4.0), K3 * std::exp(-1.0 / 20.0));
    std::vector<double> seen;
    a.for_each_spike(1.0, 3.0, [&](double t) { seen.push_back(t); });  // (1, 3]
    EXPECT_EQ(seen, std::vector<double>{3.0});
    seen.clear();
    a.for_each_spike(0.0, 2.9, [&](double t) { seen.push_back(t); });
    EXPECT_EQ(seen, std::vector<double>{1.0});
}

StdpSympyRule rule(const std::string& depress, const std::string& facilitate) {
    return {symbolic::compile(symbolic::parse(depress), 2), symbolic::compile(symbolic::parse(facilitate), 2)};
}

TEST(NestLike, StdpSympyFacilitatesPerPostSpikeAndDepressesPerPreSpike) {
    StdpSympyParams p;
    p.Wmax = 1.0;
    SpikeArchive post(20.0);
    post.add_spike(5.0);
    post.add_spike(7.0);
    StdpSympySynapse s;
    s.weight = 0.5;
    // First presynaptic spike at 10 ms: both postsynaptic spikes in (-1, 9] facilitate with the
    // (zero) presynaptic trace; the rule x_1 + 1 adds lambda each time.
    const StdpSympyRule r = rule("x_0", "x_1 + 1");
    EXPECT_DOUBLE_EQ(s.send(10.0, p, r, post), (0.5 + 0.01 + 0.01) * (1 - 0.01));
    EXPECT_EQ(s.K_plus, 1.0);
    EXPECT_EQ(s.t_lastspike, 10.0);
}

TEST(NestLike, StdpSympyClipsOneSidedAndNanFailsTheComparisons) {
    StdpSympyParams p;
    p.Wmax = 1.0;
    SpikeArchive post(20.0);
    post.add_spike(5.0);
    StdpSympySynapse s;
    s.weight = 0.0;
    // x_1/x_0 at (0, 0) is NaN: facilitation sets Wmax, depression then 0 - NaN -> 0.
    EXPECT_EQ(s.send(10.0, p, rule("0", "x_1/x_0"), post), 1.0);
    s = {};
    s.weight = 0.5;
    EXPECT_EQ(s.send(10.0, p, rule("x_1/x_0 + 100", "0"), post), 0.0);  // clipped at 0
    // Facilitation has no lower bound and depression no upper bound.
    s = {};
    s.weight = 0.005;
    EXPECT_DOUBLE_EQ(s.send(10.0, p, rule("-1000", "-1"), post), (0.005 - 0.01) + 10.0);
}

TEST(NestLike, GridEventsKeepRepeatedSpikesInDeliveryOrder) {
    SpikeTrains t;
    t.times = {0.3, 0.3, 0.5, 0.1, 0.3};  // train 0: 0.3 twice, 0.5; train 1: 0.1, 0.3
    t.offsets = {0, 3, 5};
    const auto events = grid_events(t, Grid(0.1));
    ASSERT_EQ(events.size(), 5u);
    const std::pair<std::int64_t, int> want[] = {{1, 1}, {3, 0}, {3, 0}, {3, 1}, {5, 0}};
    for (std::size_t i = 0; i < 5; ++i) {
        EXPECT_EQ(events[i].step, want[i].first);
        EXPECT_EQ(events[i].input, want[i].second);
    }
}

}  // namespace
}  // namespace sr::e2l
