// Free-running sampler statistics against the reference's long runs (stationary.json): for fixed
// W, b both simulation paths must produce the reference's state distribution (including the
// discrete-time sampler's own bias against the Boltzmann distribution) within sampling error.
//
// Sampling error: states are sampled every t_ref/2 steps while a neuron stays on for t_ref steps,
// so successive samples are correlated and a multinomial chi-square is inflated by a factor g
// (≈ the integrated autocorrelation time in samples). g is not assumed: the event-driven path is
// run as R independent replicas of the reference's length, and g is measured as the mean two-sample
// chi-square between one replica and the pool of the others divided by its degrees of freedom.
// A comparison then passes when chi-square / g stays below dof + 5·sqrt(2·dof) (a 5-sigma bound of
// the chi-square distribution).
#include "core/models/ssn/boltzmann.hpp"
#include "core/models/ssn/simulation.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <string>

namespace sr::ssn {
namespace {

using testing::load_fixture;
using testing::to_matrix;
using testing::to_std_vector;
using testing::to_vector;

constexpr int kReplicas = 8;

struct ChiSquare {
    double value = 0.0;
    int dof = 0;
};

// Two-sample chi-square of count vectors; cells with fewer than 10 counts in both samples
// together are lumped into one cell so the chi-square approximation holds.
ChiSquare two_sample_chi_square(const std::vector<double>& a, const std::vector<double>& b) {
    const double total_a = std::accumulate(a.begin(), a.end(), 0.0);
    const double total_b = std::accumulate(b.begin(), b.end(), 0.0);
    const double ka = std::sqrt(total_b / total_a);
    const double kb = std::sqrt(total_a / total_b);
    ChiSquare out;
    int cells = 0;
    double rest_a = 0.0;
    double rest_b = 0.0;
    const auto add = [&](double x, double y) {
        out.value += (x * ka - y * kb) * (x * ka - y * kb) / (x + y);
        ++cells;
    };
    for (std::size_t k = 0; k < a.size(); ++k) {
        if (a[k] + b[k] >= 10.0) {
            add(a[k], b[k]);
        } else {
            rest_a += a[k];
            rest_b += b[k];
        }
    }
    if (rest_a + rest_b >= 10.0) add(rest_a, rest_b);
    out.dof = cells - 1;
    return out;
}

double chi_square_bound(int dof) { return dof + 5.0 * std::sqrt(2.0 * dof); }

std::vector<double> counts_of(const SpikeStatistics& stats) {
    return {stats.state_counts().begin(), stats.state_counts().end()};
}

class StationaryCase : public ::testing::TestWithParam<int> {
protected:
    void SetUp() override {
        static const nlohmann::json data = load_fixture("stationary.json");
        const nlohmann::json& c = data.at("cases").at(GetParam());
        w_ = to_matrix(c.at("W"));
        b_ = to_vector(c.at("b"));
        dim_ = static_cast<int>(b_.size());
        t_ref_ = c.at("t_ref");
        tau_syn_ = c.at("tau_syn");
        duration_ = c.at("duration");
        ref_samples_ = c.at("num_state_samples");
        ref_distr_ = to_std_vector(c.at("sampled_distr"));
        boltzmann_ = to_std_vector(c.at("boltzmann_probs"));
        ref_dkl_ = c.at("dkl_boltzmann_vs_sampled");
        for (double p : ref_distr_) ref_counts_.push_back(std::round(p * static_cast<double>(ref_samples_)));
    }

    SpikeStatistics new_stats(std::int64_t duration) const {
        SpikeStatistics stats(dim_, t_ref_, 1, {static_cast<double>(t_ref_)});
        stats.reset(duration);
        return stats;
    }

    Matrix w_;
    Vector b_;
    int dim_ = 0;
    int t_ref_ = 0;
    double tau_syn_ = 0.0;
    std::int64_t duration_ = 0;
    std::int64_t ref_samples_ = 0;
    std::vector<double> ref_distr_;
    std::vector<double> ref_counts_;
    std::vector<double> boltzmann_;
    double ref_dkl_ = 0.0;
};

TEST_P(StationaryCase, BothPathsMatchReferenceDistribution) {
    // Event-driven replicas, each as long as the reference run.
    EventDrivenSampler sampler(dim_, t_ref_, tau_syn_);
    std::vector<std::vector<double>> replicas;
    std::vector<double> dkls;
    for (int r = 0; r < kReplicas; ++r) {
        Rng rng{1000 + static_cast<std::uint64_t>(GetParam()), static_cast<std::uint64_t>(r)};
        SpikeStatistics stats = new_stats(duration_);
        sampler.run(w_, b_, duration_, rng, stats);
        stats.finish();
        ASSERT_EQ(stats.num_state_samples(), ref_samples_);
        replicas.push_back(counts_of(stats));
        dkls.push_back(kl_divergence(boltzmann_, sampled_distribution(stats)));
    }
    std::vector<double> pooled(replicas[0].size(), 0.0);
    for (const auto& r : replicas) {
        for (std::size_t k = 0; k < pooled.size(); ++k) pooled[k] += r[k];
    }

    // Inflation g of the chi-square by the autocorrelation of the samples.
    double inflation = 0.0;
    for (const auto& r : replicas) {
        std::vector<double> others(pooled.size());
        for (std::size_t k = 0; k < pooled.size(); ++k) others[k] = pooled[k] - r[k];
        const ChiSquare x = two_sample_chi_square(r, others);
        inflation += x.value / x.dof / kReplicas;
    }
    RecordProperty("chi_square_inflation", std::to_string(inflation));
    // Measured g ≈ 0.95–1.1: the 2^dim-state indicator decorrelates within about one sample.
    EXPECT_GT(inflation, 0.5);
    EXPECT_LT(inflation, 10.0);

    // Event-driven (pooled) against the reference.
    const ChiSquare fast_vs_ref = two_sample_chi_square(ref_counts_, pooled);
    EXPECT_LT(fast_vs_ref.value / inflation, chi_square_bound(fast_vs_ref.dof))
        << "chi2 " << fast_vs_ref.value << " dof " << fast_vs_ref.dof << " g " << inflation;

    // The sampler's bias against the Boltzmann distribution: the reference's DKL is one draw of
    // what a replica gives, so it must lie within 5 replica standard deviations of their mean.
    const double mean = std::accumulate(dkls.begin(), dkls.end(), 0.0) / kReplicas;
    double var = 0.0;
    for (double d : dkls) var += (d - mean) * (d - mean) / (kReplicas - 1);
    EXPECT_NEAR(ref_dkl_, mean, 5.0 * std::sqrt(var)) << "replica DKLs sd " << std::sqrt(var);

    // The time-stepped loop (slow, so a quarter of the length) against both.
    const std::int64_t stepped_duration = duration_ / 4;
    Rng rng{2000 + static_cast<std::uint64_t>(GetParam())};
    SpikeStatistics stepped = new_stats(stepped_duration);
    simulate_time_stepped(w_, b_, t_ref_, tau_syn_, stepped_duration, rng, stepped);
    stepped.finish();
    const ChiSquare stepped_vs_fast = two_sample_chi_square(counts_of(stepped), pooled);
    EXPECT_LT(stepped_vs_fast.value / inflation, chi_square_bound(stepped_vs_fast.dof))
        << "chi2 " << stepped_vs_fast.value << " dof " << stepped_vs_fast.dof;
    const ChiSquare stepped_vs_ref = two_sample_chi_square(counts_of(stepped), ref_counts_);
    EXPECT_LT(stepped_vs_ref.value / inflation, chi_square_bound(stepped_vs_ref.dof))
        << "chi2 " << stepped_vs_ref.value << " dof " << stepped_vs_ref.dof;

    std::cout << "case " << GetParam() << ": g = " << inflation << ", chi2/g/dof fast-ref "
              << fast_vs_ref.value / inflation / fast_vs_ref.dof << ", stepped-fast "
              << stepped_vs_fast.value / inflation / stepped_vs_fast.dof << ", stepped-ref "
              << stepped_vs_ref.value / inflation / stepped_vs_ref.dof << "; DKL ref " << ref_dkl_
              << " ours " << mean << " ± " << std::sqrt(var) << "\n";
}

INSTANTIATE_TEST_SUITE_P(Reference, StationaryCase, ::testing::Range(0, 3));

// Both paths must agree for every layout of PSP window vs refractory period, not only the
// published one (PSP ends at t + 50, wake-up at t + 51): the same one-step gap with a shorter
// refractory period, where that step weighs more; a long gap between PSP end and wake-up, both at
// the same step, the PSP outlasting refractoriness by one step (a neuron awake with its
// own PSP), and PSP windows far longer than the refractory period (up to 3 PSPs per presynaptic
// neuron: the direct-rate branch instead of the per-mask table). Same chi-square criterion on the
// state distribution (g measured from replicas) plus every neuron's spike count against the
// replicas' spread (5 sigma).
struct Layout {
    int t_ref;
    double tau_syn;
};

std::string layout_name(const ::testing::TestParamInfo<Layout>& info) {
    return "t_ref_" + std::to_string(info.param.t_ref) + "_tau_syn_" +
           std::to_string(static_cast<int>(info.param.tau_syn));
}

class PathsAgree : public ::testing::TestWithParam<Layout> {};

TEST_P(PathsAgree, StatesAndRates) {
    constexpr int dim = 4;
    const int t_ref = GetParam().t_ref;
    const double tau_syn = GetParam().tau_syn;
    constexpr std::int64_t duration = 2'000'000;
    Matrix w(dim, dim);
    w << 0.0, 0.8, -0.6, 0.3, 0.8, 0.0, 0.4, -0.9, -0.6, 0.4, 0.0, 0.5, 0.3, -0.9, 0.5, 0.0;
    Vector b(dim);
    b << -0.5, 0.2, 0.4, -0.3;
    struct Sample {
        std::vector<double> states;
        std::vector<std::int64_t> spikes;
    };
    const auto sample = [&](bool event_driven, std::uint64_t seed) {
        SpikeStatistics stats(dim, t_ref, 1, {static_cast<double>(t_ref)});
        stats.reset(duration);
        Rng rng{seed, 31};
        if (event_driven) {
            EventDrivenSampler(dim, t_ref, tau_syn).run(w, b, duration, rng, stats);
        } else {
            simulate_time_stepped(w, b, t_ref, tau_syn, duration, rng, stats);
        }
        stats.finish();
        return Sample{counts_of(stats), stats.spike_counts()};
    };
    std::vector<Sample> replicas;
    std::vector<double> pooled(std::size_t{1} << dim, 0.0);
    for (int r = 0; r < kReplicas; ++r) {
        replicas.push_back(sample(true, static_cast<std::uint64_t>(r)));
        for (std::size_t k = 0; k < pooled.size(); ++k) pooled[k] += replicas.back().states[k];
    }
    double inflation = 0.0;
    for (const auto& r : replicas) {
        std::vector<double> others(pooled.size());
        for (std::size_t k = 0; k < pooled.size(); ++k) others[k] = pooled[k] - r.states[k];
        const ChiSquare x = two_sample_chi_square(r.states, others);
        inflation += x.value / x.dof / kReplicas;
    }
    const Sample stepped = sample(false, 99);
    const ChiSquare stepped_vs_fast = two_sample_chi_square(stepped.states, pooled);
    EXPECT_LT(stepped_vs_fast.value / inflation, chi_square_bound(stepped_vs_fast.dof))
        << "chi2 " << stepped_vs_fast.value << " dof " << stepped_vs_fast.dof << " g " << inflation;

    for (int i = 0; i < dim; ++i) {
        double mean = 0.0;
        for (const auto& r : replicas) mean += static_cast<double>(r.spikes[i]) / kReplicas;
        double var = 0.0;
        for (const auto& r : replicas) var += std::pow(static_cast<double>(r.spikes[i]) - mean, 2) / (kReplicas - 1);
        const double spread = std::sqrt(var * (1.0 + 1.0 / kReplicas));
        EXPECT_LT(std::abs(static_cast<double>(stepped.spikes[i]) - mean), 5.0 * spread)
            << "neuron " << i << ": step loop " << stepped.spikes[i] << " spikes, event-driven mean " << mean;
        EXPECT_GT(mean, 1000.0);  // the layouts keep every neuron active
    }
}

INSTANTIATE_TEST_SUITE_P(Layouts, PathsAgree,
                         ::testing::Values(Layout{20, 8.0},    // PSP ends 13 steps before wake-up
                                           Layout{20, 20.0},   // asleep one step after the PSP end
                                           Layout{20, 21.0},   // PSP end and wake-up at one step
                                           Layout{20, 22.0},   // awake for one step with own PSP
                                           Layout{20, 55.0}),  // up to 3 PSPs: direct rates
                         layout_name);

// A random network for the bitwise comparisons below: biases in ±0.5, weights in ±0.8, no
// self-connections.
struct Network {
    Matrix w;
    Vector b;
};

Network random_network(int dim, Rng draw) {
    Network net{Matrix(dim, dim), Vector(dim)};
    for (int i = 0; i < dim; ++i) {
        net.b[i] = draw.uniform() - 0.5;
        for (int j = 0; j < dim; ++j) net.w(i, j) = i == j ? 0.0 : 1.6 * draw.uniform() - 0.8;
    }
    return net;
}

// One epoch of `sampler` into `stats` (reset here), from the generator state `rng`.
SpikeStatistics run_epoch(EventDrivenSampler& sampler, const Network& net, std::int64_t duration, Rng rng,
                          SpikeStatistics stats) {
    stats.reset(duration);
    sampler.run(net.w, net.b, duration, rng, stats);
    stats.finish();
    return stats;
}

// Bitwise the same spikes, pair sums and state histogram.
void expect_same_statistics(const SpikeStatistics& a, const SpikeStatistics& b, std::size_t num_widths) {
    EXPECT_EQ(a.spike_counts(), b.spike_counts());
    EXPECT_EQ(a.num_state_samples(), b.num_state_samples());
    EXPECT_EQ(a.state_counts(), b.state_counts());
    for (std::size_t width = 0; width < num_widths; ++width) {
        for (int i = 0; i < a.dim(); ++i) {
            for (int j = 0; j < a.dim(); ++j) EXPECT_EQ(a.pair_sums(width)(i, j), b.pair_sums(width)(i, j));
        }
    }
}

// The sampler's 4-lane code (where the CPU has it) and its 2-lane code must give bitwise the same
// run, for the published shape (7 neurons, one kernel width, last spike only) and for shapes on
// the general statistics path (more neurons than one padded row, several remembered spikes).
struct Shape {
    int dim;
    int num_last;
    std::size_t num_widths;
};

class LaneWidths : public ::testing::TestWithParam<Shape> {};

TEST_P(LaneWidths, GiveBitwiseTheSameRun) {
    if (!wide_lanes_available()) GTEST_SKIP() << "this CPU has no wide lanes";
    const int dim = GetParam().dim;
    constexpr int t_ref = 20;
    constexpr std::int64_t duration = 400'000;
    const Network net = random_network(dim, Rng{7, 1});
    std::vector<double> widths{static_cast<double>(t_ref), 30.0};
    widths.resize(GetParam().num_widths);
    const auto run = [&](bool wide) {
        EventDrivenSampler sampler(dim, t_ref, t_ref);
        sampler.set_wide_lanes(wide);
        EXPECT_EQ(sampler.wide_lanes(), wide);
        return run_epoch(sampler, net, duration, Rng{2024, 5}, SpikeStatistics(dim, t_ref, GetParam().num_last, widths));
    };
    const SpikeStatistics wide = run(true);
    const SpikeStatistics narrow = run(false);
    EXPECT_GT(wide.num_spikes(), duration / t_ref);
    expect_same_statistics(wide, narrow, GetParam().num_widths);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LaneWidths,
                         ::testing::Values(Shape{7, 1, 1}, Shape{7, 1, 2}, Shape{4, 2, 2}, Shape{10, 1, 1}),
                         [](const auto& info) {
                             return "dim_" + std::to_string(info.param.dim) + "_last_" +
                                    std::to_string(info.param.num_last) + "_widths_" +
                                    std::to_string(info.param.num_widths);
                         });

// In the layouts where a neuron wakes at most one step after its PSP ends, the event loop counts
// the state samples from its PSP states; the statistics would count them from the spikes. Both
// must give the same histogram (and the spikes must not change). t_ref 20 and 50 with the
// published tau_syn = t_ref (one asleep step after each PSP), and tau_syn = t_ref + 1 (none).
class SpanStateCounting : public ::testing::TestWithParam<Layout> {};

TEST_P(SpanStateCounting, CountsTheStatesTheStatisticsCount) {
    constexpr int dim = 7;
    const int t_ref = GetParam().t_ref;
    const std::int64_t duration = 20'000 * t_ref + 7;  // ends off the sample grid
    const Network net = random_network(dim, Rng{11, 3});
    const auto run = [&](bool by_spans) {
        EventDrivenSampler sampler(dim, t_ref, GetParam().tau_syn);
        sampler.set_counts_states_by_spans(by_spans);
        SpikeStatistics stats = run_epoch(sampler, net, duration, Rng{99, 2},
                                          SpikeStatistics(dim, t_ref, 1, {static_cast<double>(t_ref)}));
        // The sampler took the counting over exactly when asked to (else the comparison is moot).
        EXPECT_EQ(stats.samples_states(), !by_spans);
        return stats;
    };
    const SpikeStatistics spans = run(true);
    const SpikeStatistics spikes = run(false);
    EXPECT_GT(spans.num_spikes(), duration / t_ref);
    expect_same_statistics(spans, spikes, 1);
    EXPECT_GT(spans.state_counts()[0], 0);
    EXPECT_GT(spans.state_counts().back(), 0);  // all on: the asleep step counts too
}

INSTANTIATE_TEST_SUITE_P(Layouts, SpanStateCounting,
                         ::testing::Values(Layout{20, 20.0}, Layout{50, 50.0}, Layout{20, 21.0}), layout_name);

}  // namespace
}  // namespace sr::ssn
