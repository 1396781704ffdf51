// The ziggurat Exp(1) generator the event-driven sampler uses for its spike budgets.
#include "core/models/ssn/exponential.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace sr::ssn {
namespace {

TEST(ExponentialZiggurat, MatchesExpOneDistribution) {
    const ExponentialZiggurat draw;
    Rng rng{42};
    constexpr int n = 2'000'000;
    // Bins of equal probability 1/40 under Exp(1): edges −ln(1 − k/40); a chi-square over them
    // also covers the tail (last bin beyond 3.7) and the wedges of every layer.
    constexpr int bins = 40;
    std::vector<double> counts(bins, 0.0);
    double sum = 0.0;
    double sum_sq = 0.0;
    int beyond_8 = 0;
    for (int k = 0; k < n; ++k) {
        const double x = draw(rng);
        ASSERT_GE(x, 0.0);
        sum += x;
        sum_sq += x * x;
        beyond_8 += x > 8.0;  // the ziggurat's tail starts at 7.697
        const int bin = static_cast<int>(-std::expm1(-x) * bins);
        counts[std::min(bin, bins - 1)] += 1.0;
    }
    const double mean = sum / n;
    EXPECT_NEAR(mean, 1.0, 5.0 / std::sqrt(n));         // sd of X is 1
    EXPECT_NEAR(sum_sq / n, 2.0, 5.0 * std::sqrt(20.0 / n));  // E X² = 2, var X² = 20
    const double expected = static_cast<double>(n) / bins;
    double chi2 = 0.0;
    for (double c : counts) chi2 += (c - expected) * (c - expected) / expected;
    EXPECT_LT(chi2, (bins - 1) + 5.0 * std::sqrt(2.0 * (bins - 1)));
    const double tail = n * std::exp(-8.0);  // ≈ 671
    EXPECT_NEAR(beyond_8, tail, 5.0 * std::sqrt(tail));
}

}  // namespace
}  // namespace sr::ssn
