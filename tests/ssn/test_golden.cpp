// Deterministic functions of given spike lists against the reference (ssn_golden.json): STDP and
// SAL matrices, state sampling, coactivation, marginals, rates and exact Boltzmann statistics.
#include "core/models/ssn/boltzmann.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "fixtures.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sr::ssn {
namespace {

using testing::load_fixture;
using testing::to_matrix;
using testing::to_std_vector;
using testing::to_vector;

constexpr double kTolerance = 1e-12;

void expect_near(const Matrix& got, const Matrix& want, const std::string& what) {
    ASSERT_EQ(got.rows(), want.rows()) << what;
    ASSERT_EQ(got.cols(), want.cols()) << what;
    for (Eigen::Index i = 0; i < got.rows(); ++i) {
        for (Eigen::Index j = 0; j < got.cols(); ++j) {
            EXPECT_NEAR(got(i, j), want(i, j), kTolerance) << what << " (" << i << ", " << j << ")";
        }
    }
}

void expect_near(const std::vector<double>& got, const std::vector<double>& want, const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], kTolerance) << what << " [" << k << "]";
}

std::vector<double> as_std(const Vector& v) { return {v.data(), v.data() + v.size()}; }

class GoldenCase : public ::testing::TestWithParam<int> {
protected:
    static const nlohmann::json& cases() {
        static const nlohmann::json data = load_fixture("ssn_golden.json");
        return data.at("cases");
    }
    const nlohmann::json& c() const { return cases().at(GetParam()); }

    // Replays the reference's spike list through the accumulator both simulators feed.
    SpikeStatistics replay(StateSampling sampling = StateSampling::on) const {
        const int dim = c().at("dim");
        const int t_ref = c().at("t_ref");
        SpikeStatistics stats(dim, t_ref, c().at("num_last_spikes"), {c().at("tau_stdp").get<double>()});
        stats.reset(c().at("duration").get<std::int64_t>(), sampling);
        for (const auto& spike : c().at("spikes")) {
            stats.add_spike(spike.at(0).get<std::int64_t>(), spike.at(1).get<int>());
        }
        stats.finish();
        return stats;
    }
};

TEST_P(GoldenCase, StdpAndSalMatrices) {
    const SpikeStatistics stats = replay();
    const double tau = c().at("tau_stdp");
    expect_near(stdp_from_pair_sums(stats.pair_sums(0), to_matrix(c().at("a_plus_ws")),
                                    to_matrix(c().at("a_minus_ws")), tau),
                to_matrix(c().at("stdp_ws")), "stdp_ws");
    expect_near(stdp_from_pair_sums(stats.pair_sums(0), to_matrix(c().at("a_plus_sal")),
                                    to_matrix(c().at("a_minus_sal")), tau),
                to_matrix(c().at("stdp_sal")), "stdp_sal");
}

TEST_P(GoldenCase, StateSamplesAndRates) {
    const SpikeStatistics stats = replay();
    EXPECT_EQ(stats.num_state_samples(), c().at("num_state_samples").get<std::int64_t>());
    expect_near(sampled_distribution(stats), to_std_vector(c().at("sampled_distr")), "sampled_distr");
    Matrix coact;
    Vector marginals;
    sampled_coactivation(stats, coact, marginals);
    expect_near(coact, to_matrix(c().at("coact")), "coact");
    expect_near(as_std(marginals), to_std_vector(c().at("marginals")), "marginals");
    expect_near(as_std(spike_rates(stats, c().at("t_ref"))), to_std_vector(c().at("rates")), "rates");
}

// Training epochs skip the state samples; everything else must stay bitwise the same.
TEST_P(GoldenCase, WithoutStateSamplesTheSamePairSumsAndCounts) {
    const SpikeStatistics sampled = replay(StateSampling::on);
    const SpikeStatistics unsampled = replay(StateSampling::off);
    EXPECT_EQ(unsampled.num_state_samples(), 0);
    EXPECT_EQ(unsampled.state_counts(), std::vector<std::int64_t>(sampled.state_counts().size(), 0));
    EXPECT_EQ(unsampled.spike_counts(), sampled.spike_counts());
    EXPECT_EQ(unsampled.num_spikes(), sampled.num_spikes());
    EXPECT_EQ(unsampled.pair_sums(0), sampled.pair_sums(0));
}

TEST_P(GoldenCase, BoltzmannStatistics) {
    const BoltzmannStatistics exact = boltzmann_statistics(to_matrix(c().at("W")), to_vector(c().at("b")));
    expect_near(exact.probs, to_std_vector(c().at("boltzmann_probs")), "boltzmann_probs");
    expect_near(exact.coact, to_matrix(c().at("boltzmann_coact")), "boltzmann_coact");
}

INSTANTIATE_TEST_SUITE_P(Reference, GoldenCase, ::testing::Range(0, 5));

TEST(Figures, KlDivergenceAndAsymmetry) {
    EXPECT_NEAR(kl_divergence({0.5, 0.5}, {0.25, 0.75}),
                0.5 * std::log(2.0) + 0.5 * std::log(0.5 / 0.75), 1e-15);
    EXPECT_TRUE(std::isinf(kl_divergence({0.5, 0.5}, {1.0, 0.0})));
    Matrix w(3, 3);
    w << 0, 1, 2, 0, 0, 3, 0, 0, 0;  // upper triangle of W − Wᵀ: 1, 2, 3
    EXPECT_NEAR(weight_asymmetry(w), 2.0 / 3.0, 1e-15);
}

}  // namespace
}  // namespace sr::ssn
