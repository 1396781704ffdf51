#include "core/models/stdd/chain.hpp"

#include <Eigen/Sparse>
#include <Eigen/SparseLU>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace sr::stdd {
namespace {

using SparseMatrix = Eigen::SparseMatrix<double>;
using Triplet = Eigen::Triplet<double>;

// σ(u) with the reference's escape noise: 1 / (1 + t_ref·e^−u).
double sigma(double u, int t_ref) { return 1.0 / (1.0 + t_ref * std::exp(-u)); }

// Amplitude that gives the exponential PSP the area of a rectangle of width t_ref.
double exp_amplitude(int t_ref, double t_syn) {
    return (t_ref / t_syn) / (1.0 - std::exp(-t_ref / t_syn));
}

// The entries of T (T[to, from] = P(from → to)) in the order of stddc/matrix.py's generators:
// a column block per age of neuron 1 before the step, `z1` the age after it (when neuron 1 does
// not spike). The reference assigns entries; no (to, from) pair is produced twice, so the
// triplets can be summed.
std::vector<Triplet> transition_entries(const ChainParams& c, double w_12, double w_21, double b_1, double b_2) {
    const int t_max = c.t_max;
    const int t_ref = c.t_ref;
    std::vector<Triplet> entries;
    entries.reserve(static_cast<std::size_t>(t_max) * t_max * 2);
    const auto psp = [&](int zeta) { return psp_value(c.psp, zeta, t_ref, c.t_syn); };
    // Neuron 1 refractory (block A): it ages; neuron 2 spikes from age t_ref − 1 on.
    const auto block_a = [&](int z1, int row_base, int col_base) {
        for (int z2 = 1; z2 < t_ref; ++z2) entries.emplace_back(row_base + z2, col_base + z2 - 1, 1.0);
        const double p2 = sigma(b_2 + w_21 * psp(z1), t_ref);
        for (int z2 = t_ref; z2 < t_max; ++z2) {
            entries.emplace_back(row_base + 0, col_base + z2 - 1, p2);
            entries.emplace_back(row_base + z2, col_base + z2 - 1, 1.0 - p2);
        }
        entries.emplace_back(row_base + 0, col_base + t_max - 1, p2);
        entries.emplace_back(row_base + t_max - 1, col_base + t_max - 1, 1.0 - p2);
    };
    // Neuron 1 may spike: into ζ_1 = 0 (block B, rows from 0) or not (block C, rows of z1).
    // The last column (ζ_2 absorbing at t_max − 1) reuses the values of ζ_2 = t_max − 1.
    const auto blocks_bc = [&](int z1, int col_base, int c_row_base) {
        const double p2 = sigma(b_2 + w_21 * psp(z1), t_ref);
        for (int z2 = 1; z2 < t_ref; ++z2) {
            const double p1 = sigma(b_1 + w_12 * psp(z2), t_ref);
            entries.emplace_back(z2, col_base + z2 - 1, p1);
            entries.emplace_back(c_row_base + z2, col_base + z2 - 1, 1.0 - p1);
        }
        double last_p1 = 0.0;
        for (int z2 = t_ref; z2 < t_max; ++z2) {
            const double p1 = sigma(b_1 + w_12 * psp(z2), t_ref);
            entries.emplace_back(0, col_base + z2 - 1, p1 * p2);
            entries.emplace_back(z2, col_base + z2 - 1, p1 * (1.0 - p2));
            entries.emplace_back(c_row_base + 0, col_base + z2 - 1, (1.0 - p1) * p2);
            entries.emplace_back(c_row_base + z2, col_base + z2 - 1, (1.0 - p1) * (1.0 - p2));
            last_p1 = p1;
        }
        entries.emplace_back(0, col_base + t_max - 1, last_p1 * p2);
        entries.emplace_back(t_max - 1, col_base + t_max - 1, last_p1 * (1.0 - p2));
        entries.emplace_back(c_row_base + 0, col_base + t_max - 1, (1.0 - last_p1) * p2);
        entries.emplace_back(c_row_base + t_max - 1, col_base + t_max - 1, (1.0 - last_p1) * (1.0 - p2));
    };
    for (int a = 0; a < t_ref - 1; ++a) block_a(a + 1, (a + 1) * t_max, a * t_max);
    for (int b = t_ref - 1; b < t_max - 1; ++b) blocks_bc(b + 1, b * t_max, (b + 1) * t_max);
    // Neuron 1 at the absorbing age stays there unless it spikes.
    blocks_bc(t_max - 1, (t_max - 1) * t_max, (t_max - 1) * t_max);
    return entries;
}

std::vector<double> stationary_from(const std::vector<Triplet>& entries, int n) {
    // (T − I)·π = 0 has rank n − 1 (T's columns sum to 1, so its rows are dependent): the row of
    // state 0 is replaced by Σπ = 1.
    std::vector<Triplet> a;
    a.reserve(entries.size() + 2 * static_cast<std::size_t>(n));
    for (const Triplet& t : entries) {
        if (t.row() != 0) a.push_back(t);
    }
    for (int k = 1; k < n; ++k) a.emplace_back(k, k, -1.0);
    for (int k = 0; k < n; ++k) a.emplace_back(0, k, 1.0);
    SparseMatrix m(n, n);
    m.setFromTriplets(a.begin(), a.end());
    Eigen::SparseLU<SparseMatrix> lu;
    lu.compute(m);
    if (lu.info() != Eigen::Success) throw std::runtime_error("stdd: the chain has no unique stationary distribution");
    Eigen::VectorXd rhs = Eigen::VectorXd::Zero(n);
    rhs[0] = 1.0;
    const Eigen::VectorXd pi = lu.solve(rhs);
    return {pi.data(), pi.data() + n};
}

// One half of the STDD (length t_max, index = lag): from the stationary states in which neuron 1
// has just spiked, the probability that neuron 2 spikes `lag` steps later before either spikes
// again (stddc's _calc_half_histogram), normalised to sum 1/2.
std::vector<double> half_histogram(const ChainParams& c, double w_12, double w_21, double b_1, double b_2) {
    const int t_max = c.t_max;
    const int n = t_max * t_max;
    const std::vector<Triplet> entries = transition_entries(c, w_12, w_21, b_1, b_2);
    std::vector<double> pi = stationary_from(entries, n);

    // No spike: the rows where exactly one neuron spikes are zeroed (not the one where both do,
    // as in the reference). Neuron 2 spikes at lag ζ_1 + 1: rows ζ_1·t_max and 0 of T, over the
    // columns where neuron 2 may spike.
    std::vector<Triplet> no_spike;
    std::vector<Triplet> spike;
    for (const Triplet& t : entries) {
        const int row = static_cast<int>(t.row());
        const int z1_to = row / t_max;
        const int z2_to = row % t_max;
        if (!((z1_to >= 1 && z2_to == 0) || (z1_to == 0 && z2_to >= 1))) no_spike.push_back(t);
        const int col = static_cast<int>(t.col());
        const int lag = col / t_max + 1;
        if (col % t_max >= c.t_ref - 1 && lag <= t_max - 1 && (row == lag * t_max || row == 0)) {
            spike.emplace_back(lag, col, t.value());
        }
    }
    SparseMatrix t_no_spike(n, n);
    t_no_spike.setFromTriplets(no_spike.begin(), no_spike.end());
    SparseMatrix t_spike(t_max, n);
    t_spike.setFromTriplets(spike.begin(), spike.end());

    Eigen::VectorXd d = Eigen::Map<Eigen::VectorXd>(pi.data(), n);
    d.tail(n - t_max).setZero();
    d /= d.sum();
    Eigen::VectorXd histogram = t_spike * d;
    for (int step = 0; step < t_max; ++step) {
        d = (t_no_spike * d).eval();
        histogram += t_spike * d;
    }
    histogram /= histogram.sum() * 2.0;
    return {histogram.data(), histogram.data() + t_max};
}

}  // namespace

Psp parse_psp(const std::string& name) {
    if (name == "rect") return Psp::rect;
    if (name == "exp") return Psp::exp;
    if (name == "cutoff") return Psp::cutoff;
    if (name == "tail") return Psp::tail;
    if (name == "alpha") return Psp::alpha;
    throw std::invalid_argument("unknown PSP '" + name + "' (rect, exp, cutoff, tail, alpha)");
}

double psp_value(Psp psp, int zeta, int t_ref, double t_syn) {
    switch (psp) {
        case Psp::rect:
            return zeta >= 0 && zeta < t_ref ? 1.0 : 0.0;
        case Psp::exp:
            return exp_amplitude(t_ref, t_syn) * std::exp(-zeta / t_syn);
        case Psp::cutoff:
            return zeta <= t_ref ? exp_amplitude(t_ref, t_syn) * std::exp(-zeta / t_syn) : 0.0;
        case Psp::tail:
            return zeta <= t_ref ? 1.0 : exp_amplitude(t_ref, t_syn) * std::exp(-zeta / t_syn);
        case Psp::alpha:
            return zeta > 0 ? t_ref / (t_syn * t_syn) * zeta * std::exp(-zeta / t_syn) : 0.0;
    }
    return 0.0;
}

ChainParams ChainParams::from_constructor(Psp psp, int t_max, int t_ref, double t_syn, double w_12, double w_21,
                                          double b_1, double b_2) {
    ChainParams c;
    c.psp = psp;
    c.t_max = t_max;
    c.t_ref = t_ref;
    c.t_syn = t_syn;
    c.w_21 = w_12;
    c.w_12 = w_21;
    c.b_2 = b_1;
    c.b_1 = b_2;
    return c;
}

std::vector<double> stationary_distribution(const ChainParams& chain, double w_12, double w_21, double b_1, double b_2) {
    return stationary_from(transition_entries(chain, w_12, w_21, b_1, b_2), chain.t_max * chain.t_max);
}

std::vector<double> stdd(const ChainParams& c, Middle middle) {
    if (c.t_ref < 1 || c.t_ref >= c.t_max) throw std::invalid_argument("stdd: need 1 <= t_ref < t_max");
    const std::vector<double> right = half_histogram(c, c.w_12, c.w_21, c.b_1, c.b_2);
    const std::vector<double> left = half_histogram(c, c.w_21, c.w_12, c.b_2, c.b_1);
    const auto t_max = static_cast<std::size_t>(c.t_max);
    std::vector<double> values(2 * t_max - 1);
    for (std::size_t lag = 1; lag < t_max; ++lag) {
        values[t_max - 1 - lag] = left[lag];
        values[t_max - 1 + lag] = right[lag];
    }
    switch (middle) {
        case Middle::nan:
            values[t_max - 1] = std::numeric_limits<double>::quiet_NaN();
            break;
        case Middle::zero:
            values[t_max - 1] = 0.0;
            break;
        case Middle::smooth:
            values[t_max - 1] = (left[1] + right[1]) * 0.5;
            break;
    }
    return values;
}

double exp_window(double dt, const SalWindow& w) {
    if (dt > 0.0) return w.a_plus * std::exp(-dt / w.tau_plus);
    if (dt < 0.0) return w.a_minus * std::exp(dt / w.tau_minus);
    return 0.0;
}

std::pair<double, double> sal(const std::vector<double>& values, int t_max, const SalWindow& window) {
    double sal_12 = 0.0;
    double sal_21 = 0.0;
    const auto n = static_cast<int>(values.size());
    for (int k = 0; k < n; ++k) {
        if (k == t_max - 1) continue;  // Δt = 0 counts as 0
        const double dt = k - (t_max - 1);
        sal_12 += values[static_cast<std::size_t>(k)] * exp_window(dt, window);
        sal_21 += values[static_cast<std::size_t>(k)] * exp_window(-dt, window);
    }
    return {sal_12, sal_21};
}

}  // namespace sr::stdd
