#include "core/models/ssn/simulation.hpp"

#include <cmath>
#include <limits>

namespace sr::ssn {
namespace {

constexpr std::int64_t kLongAgo = std::numeric_limits<std::int64_t>::min() / 4;
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max() / 4;
// Largest network whose per-mask hazard table (2^dim rows) is worth keeping.
constexpr int kTableMaxDim = 12;

// −ln(1 − σ(x)) = ln(1 + eˣ), written to stay finite for large |x|.
double softplus(double x) { return x > 0.0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x)); }

// Number of steps (≥ 1) until a hazard budget `budget` is used up at 1/inv_h per step.
std::int64_t steps_to_spend(double budget, double inv_h) {
    const double steps = std::ceil(budget * inv_h);
    if (!(steps >= 1.0)) return 1;  // also catches NaN from 0 · inf
    if (steps >= 1e18) return kNever;
    return static_cast<std::int64_t>(steps);
}

}  // namespace

std::int64_t psp_end_offset(double tau_syn) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(tau_syn)));
}

bool psp_memory_suffices(int t_ref, double tau_syn) {
    // Spikes of one neuron are ≥ t_ref + 1 apart and a PSP covers Δt = 1 .. end − 1.
    return psp_end_offset(tau_syn) - 1 <= static_cast<std::int64_t>(kPspMemory) * (t_ref + 1);
}

void simulate_time_stepped(const Matrix& w, const Vector& b, int t_ref, double tau_syn,
                           std::int64_t duration, Rng& rng, SpikeStatistics& stats) {
    const int dim = static_cast<int>(b.size());
    const double log_t_ref = std::log(static_cast<double>(t_ref));
    // last[i * kPspMemory + k]: neuron i's last spikes, newest at the end.
    std::vector<double> last(static_cast<std::size_t>(dim) * kPspMemory,
                             -std::numeric_limits<double>::infinity());
    Vector psp(dim);
    Vector prob(dim);
    for (std::int64_t t = 0; t < duration; ++t) {
        const auto now = static_cast<double>(t);
        for (int i = 0; i < dim; ++i) {
            int count = 0;
            for (int k = 0; k < kPspMemory; ++k) {
                const double dt = now - last[static_cast<std::size_t>(i) * kPspMemory + k];
                if (dt > 0.0 && dt < tau_syn) ++count;
            }
            psp[i] = count;
        }
        const Vector u = b + w * psp;
        for (int i = 0; i < dim; ++i) prob[i] = 1.0 / (1.0 + std::exp(-(u[i] - log_t_ref)));
        for (int i = 0; i < dim; ++i) {
            const double draw = rng.uniform();
            double* mine = &last[static_cast<std::size_t>(i) * kPspMemory];
            if (draw < prob[i] && mine[kPspMemory - 1] < now - t_ref) {
                stats.add_spike(t, i);
                for (int k = 0; k + 1 < kPspMemory; ++k) mine[k] = mine[k + 1];
                mine[kPspMemory - 1] = now;
            }
        }
    }
}

EventDrivenSampler::EventDrivenSampler(int dim, int t_ref, double tau_syn)
    : dim_(dim),
      t_ref_(t_ref),
      log_t_ref_(std::log(static_cast<double>(t_ref))),
      psp_end_(psp_end_offset(tau_syn)),
      use_table_(dim <= kTableMaxDim && psp_end_offset(tau_syn) <= t_ref + 2),
      remaining_(static_cast<std::size_t>(dim)),
      start_(static_cast<std::size_t>(dim)),
      next_(static_cast<std::size_t>(dim)),
      psp_count_(static_cast<std::size_t>(dim)),
      psp_end_time_(static_cast<std::size_t>(dim) * (kPspMemory + 1)),
      psp_end_neuron_(psp_end_time_.size()),
      direct_h_(static_cast<std::size_t>(dim)),
      direct_inv_h_(static_cast<std::size_t>(dim)) {
    if (use_table_) {
        const std::size_t rows = std::size_t{1} << dim;
        table_h_.resize(rows * static_cast<std::size_t>(dim));
        table_inv_h_.resize(rows * static_cast<std::size_t>(dim));
        table_stamp_.assign(rows, 0);
    }
}

void EventDrivenSampler::select_hazards() {
    const Matrix& w = *w_;
    const Vector& b = *b_;
    double* h = direct_h_.data();
    double* inv_h = direct_inv_h_.data();
    if (use_table_) {
        const std::size_t offset = static_cast<std::size_t>(psp_mask_) * dim_;
        h = &table_h_[offset];
        inv_h = &table_inv_h_[offset];
        h_ = h;
        inv_h_ = inv_h;
        if (table_stamp_[psp_mask_] == stamp_) return;
        table_stamp_[psp_mask_] = stamp_;
    }
    for (int i = 0; i < dim_; ++i) {
        double u = b[i];
        for (int j = 0; j < dim_; ++j) {
            if (psp_count_[j] != 0) u += w(i, j) * psp_count_[j];
        }
        h[i] = softplus(u - log_t_ref_);
        inv_h[i] = 1.0 / h[i];
    }
    h_ = h;
    inv_h_ = inv_h;
}

void EventDrivenSampler::reschedule(std::int64_t tc, const double* h_old) {
    for (int i = 0; i < dim_; ++i) {
        if (start_[i] < tc) {
            remaining_[i] -= h_old[i] * static_cast<double>(tc - start_[i]);
            start_[i] = tc;
        }
        next_[i] = start_[i] + steps_to_spend(remaining_[i], inv_h_[i]) - 1;
    }
}

void EventDrivenSampler::run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng,
                             SpikeStatistics& stats) {
    w_ = &w;
    b_ = &b;
    ++stamp_;  // new weights: every cached hazard row is stale
    std::fill(psp_count_.begin(), psp_count_.end(), 0);
    psp_mask_ = 0;
    psp_end_head_ = 0;
    psp_end_size_ = 0;
    for (int i = 0; i < dim_; ++i) {
        remaining_[i] = rng.exponential(1.0);
        start_[i] = 0;
    }
    select_hazards();
    reschedule(0, h_);

    const std::size_t capacity = psp_end_time_.size();
    // The hazards in force before a change are needed to account for the steps up to it; with the
    // table they stay valid in place, without it they are copied.
    std::vector<double> old_h(static_cast<std::size_t>(dim_));
    const auto end_one_psp = [&] {
        const int j = psp_end_neuron_[psp_end_head_];
        if (--psp_count_[j] == 0) psp_mask_ &= ~(1U << j);
        psp_end_head_ = psp_end_head_ + 1 == capacity ? 0 : psp_end_head_ + 1;
        --psp_end_size_;
    };
    const auto change_rates = [&](std::int64_t tc) {
        const double* before = h_;
        if (!use_table_) {
            std::copy(h_, h_ + dim_, old_h.begin());
            before = old_h.data();
        }
        select_hazards();
        reschedule(tc, before);
    };

    while (true) {
        std::int64_t t_spike = kNever;
        for (int i = 0; i < dim_; ++i) t_spike = std::min(t_spike, next_[i]);
        const std::int64_t t_end = psp_end_size_ > 0 ? psp_end_time_[psp_end_head_] : kNever;

        if (t_end <= t_spike) {
            // PSPs ending at t_end change the rates from that step on (before its spikes).
            if (t_end >= duration) break;
            while (psp_end_size_ > 0 && psp_end_time_[psp_end_head_] == t_end) end_one_psp();
            change_rates(t_end);
            continue;
        }
        if (t_spike >= duration) break;

        // All neurons due at t_spike fire (ascending index, as the step loop emits them); their
        // PSPs start at t_spike + 1, where PSPs ending then are removed first.
        while (psp_end_size_ > 0 && psp_end_time_[psp_end_head_] == t_spike + 1) end_one_psp();
        for (int i = 0; i < dim_; ++i) {
            if (next_[i] != t_spike) continue;
            stats.add_spike(t_spike, i);
            remaining_[i] = rng.exponential(1.0);
            start_[i] = t_spike + t_ref_ + 1;
            const std::size_t slot = (psp_end_head_ + psp_end_size_) % capacity;
            psp_end_time_[slot] = t_spike + psp_end_;
            psp_end_neuron_[slot] = i;
            ++psp_end_size_;
            ++psp_count_[i];
            psp_mask_ |= 1U << i;
        }
        change_rates(t_spike + 1);
    }
}

}  // namespace sr::ssn
