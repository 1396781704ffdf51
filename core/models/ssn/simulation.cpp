#include "core/models/ssn/simulation.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

namespace sr::ssn {
namespace {

// Largest network whose per-mask hazard table (2^dim rows) is worth keeping.
constexpr int kTableMaxDim = 12;

// Spike probability p = σ(x) and hazard h = −ln(1 − p) = ln(1 + eˣ) from one exponential,
// written to stay finite for large |x|.
void probability_and_hazard(double x, double& p, double& h) {
    if (x > 0.0) {
        const double e = std::exp(-x);
        p = 1.0 / (1.0 + e);
        h = x + std::log1p(e);
    } else {
        const double e = std::exp(x);
        p = e / (1.0 + e);
        h = std::log1p(e);
    }
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

EventDrivenSampler::TimedQueue::TimedQueue(std::size_t capacity)
    : time(std::bit_ceil(capacity)), neuron(time.size()), wrap(time.size() - 1) {}

void EventDrivenSampler::TimedQueue::push(std::int64_t t, int i) {
    const std::size_t slot = (head + size) & wrap;
    time[slot] = t;
    neuron[slot] = i;
    ++size;
}

int EventDrivenSampler::TimedQueue::pop() {
    const int i = neuron[head];
    head = (head + 1) & wrap;
    --size;
    return i;
}

EventDrivenSampler::EventDrivenSampler(int dim, int t_ref, double tau_syn)
    : dim_(dim),
      t_ref_(t_ref),
      log_t_ref_(std::log(static_cast<double>(t_ref))),
      psp_end_(psp_end_offset(tau_syn)),
      use_table_(dim <= kTableMaxDim && psp_end_offset(tau_syn) <= t_ref + 2),
      all_mask_((1U << dim) - 1U),
      psp_count_(static_cast<std::size_t>(dim)),
      // Pending PSPs per neuron are bounded by the PSP memory (psp_memory_suffices), pending
      // wake-ups by one per neuron.
      psp_ends_(static_cast<std::size_t>(dim) * (kPspMemory + 1)),
      wake_ups_(static_cast<std::size_t>(dim)),
      direct_h_(static_cast<std::size_t>(dim)),
      direct_p_(static_cast<std::size_t>(dim)) {
    if (use_table_) {
        const std::size_t rows = std::size_t{1} << dim;
        table_h_.resize(rows * static_cast<std::size_t>(dim));
        table_p_.resize(rows * static_cast<std::size_t>(dim));
        table_h_outside_.resize(rows);
        table_stamp_.assign(rows, 0);
    }
}

void EventDrivenSampler::end_psp(int j) {
    if (--psp_count_[j] == 0) psp_mask_ &= ~(1U << j);
}

void EventDrivenSampler::select_rates() {
    double* h = direct_h_.data();
    double* p = direct_p_.data();
    if (use_table_) {
        const std::size_t offset = static_cast<std::size_t>(psp_mask_) * dim_;
        h = &table_h_[offset];
        p = &table_p_[offset];
    }
    h_ = h;
    p_ = p;
    if (use_table_ && table_stamp_[psp_mask_] == stamp_) return;

    const Matrix& w = *w_;
    const Vector& b = *b_;
    double outside = 0.0;
    for (int i = 0; i < dim_; ++i) {
        double u = b[i];
        for (int j = 0; j < dim_; ++j) {
            if (psp_count_[j] != 0) u += w(i, j) * psp_count_[j];
        }
        probability_and_hazard(u - log_t_ref_, p[i], h[i]);
        if (((psp_mask_ >> i) & 1U) == 0) outside += h[i];
    }
    if (use_table_) {
        table_stamp_[psp_mask_] = stamp_;
        table_h_outside_[psp_mask_] = outside;
    }
}

double EventDrivenSampler::awake_hazard() const {
    if (awake_mask_ == 0) return 0.0;
    if (!use_table_) {
        double total = 0.0;
        for (std::uint32_t m = awake_mask_; m != 0; m &= m - 1) total += h_[std::countr_zero(m)];
        return total;
    }
    // Neurons are mostly awake exactly when they have no PSP (both last about t_ref after a
    // spike), so start from the row's cached sum over neurons without PSP and correct for the
    // few that differ.
    double total = table_h_outside_[psp_mask_];
    for (std::uint32_t m = ~awake_mask_ & ~psp_mask_ & all_mask_; m != 0; m &= m - 1) {
        total -= h_[std::countr_zero(m)];
    }
    for (std::uint32_t m = awake_mask_ & psp_mask_; m != 0; m &= m - 1) total += h_[std::countr_zero(m)];
    return std::max(total, 0.0);
}

void EventDrivenSampler::settle(std::int64_t tc) {
    budget_ -= total_h_ * static_cast<double>(tc - accrued_to_);
    accrued_to_ = tc;
}

int EventDrivenSampler::draw_first_spiker(std::uint32_t candidates, double p_none, double& u) const {
    // P(first = i) = p_i Π_{candidates j<i}(1 − p_j) / (1 − p_none); p_none is built from the
    // same products, so the walk lands on a candidate up to rounding (then: the last one).
    const double target = u * (1.0 - p_none);
    double below = 0.0;
    double none_yet = 1.0;
    int first = -1;
    for (; candidates != 0; candidates &= candidates - 1) {
        first = std::countr_zero(candidates);
        const double width = none_yet * p_[first];
        below += width;
        if (target < below) {
            // Where the target fell within the chosen interval is again uniform on [0, 1) and
            // independent of the choice: hand it back for the next decision.
            u = std::clamp(1.0 - (below - target) / width, 0.0, std::nextafter(1.0, 0.0));
            return first;
        }
        none_yet *= 1.0 - p_[first];
    }
    return first;
}

std::uint32_t EventDrivenSampler::draw_spiking_set(Rng& rng) const {
    // Independent Bernoullis over the awake neurons, conditioned on at least one: draw the first
    // spiker, then whether any later awake neuron fires too (rarely: p ≈ 1/t_ref each), and if so
    // the first of those, and so on. One uniform serves the first spiker and the "any later?" test.
    double u = rng.uniform();
    std::uint32_t spiking = 0;
    std::uint32_t candidates = awake_mask_;
    while (true) {
        double p_none = 1.0;
        for (std::uint32_t m = candidates; m != 0; m &= m - 1) p_none *= 1.0 - p_[std::countr_zero(m)];
        if (spiking != 0) {
            if (u < p_none) return spiking;
            u = rng.uniform();  // rare: a second neuron fires in the same step
        }
        const int first = draw_first_spiker(candidates, p_none, u);
        spiking |= 1U << first;
        candidates &= ~((2U << first) - 1U);  // only neurons after `first` remain
        if (candidates == 0) return spiking;
    }
}

void EventDrivenSampler::run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng,
                             SpikeStatistics& stats) {
    w_ = &w;
    b_ = &b;
    ++stamp_;  // new weights: every cached row is stale
    std::fill(psp_count_.begin(), psp_count_.end(), 0);
    psp_mask_ = 0;
    awake_mask_ = all_mask_;
    psp_ends_.head = psp_ends_.size = 0;
    wake_ups_.head = wake_ups_.size = 0;
    budget_ = exponential_(rng);
    accrued_to_ = 0;
    select_rates();
    total_h_ = awake_hazard();

    while (true) {
        const std::int64_t t_psp_end = psp_ends_.front_time();
        const std::int64_t t_wake = wake_ups_.front_time();
        const std::int64_t tc = std::min(t_psp_end, t_wake);
        // Rates are constant on [accrued_to_, tc). The budget lasts through that span unless it
        // is smaller than the span's hazard; only then is the spike step worth computing.
        const std::int64_t span = std::min(tc, duration) - accrued_to_;
        if (budget_ > total_h_ * static_cast<double>(span)) {
            if (tc >= duration) break;
            // PSP ends and wake-ups change the rates from step tc on (before its spikes).
            settle(tc);
            if (t_psp_end == tc) {
                while (psp_ends_.front_time() == tc) end_psp(psp_ends_.pop());
                while (wake_ups_.front_time() == tc) awake_mask_ |= 1U << wake_ups_.pop();
                select_rates();
                total_h_ = awake_hazard();
            } else {
                // Only wake-ups: the rates stay, the woken neurons' hazards join the total.
                while (wake_ups_.front_time() == tc) {
                    const int i = wake_ups_.pop();
                    awake_mask_ |= 1U << i;
                    total_h_ += h_[i];
                }
            }
            continue;
        }
        // The first step whose accumulated hazard reaches the budget: ceil(budget / H) steps on
        // (clamped to the span should rounding disagree with the comparison above).
        const double steps = budget_ / total_h_;
        auto k = static_cast<std::int64_t>(steps);
        k += static_cast<double>(k) < steps;
        const std::int64_t t = accrued_to_ + std::clamp<std::int64_t>(k, 1, span) - 1;

        std::uint32_t spiking = draw_spiking_set(rng);
        // PSPs ending at t + 1 go before the new ones start there.
        while (psp_ends_.front_time() == t + 1) end_psp(psp_ends_.pop());
        awake_mask_ &= ~spiking;
        while (spiking != 0) {  // ascending index, as the step loop emits them
            const int i = std::countr_zero(spiking);
            spiking &= spiking - 1;
            stats.add_spike(t, i);
            wake_ups_.push(t + t_ref_ + 1, i);
            psp_ends_.push(t + psp_end_, i);
            ++psp_count_[i];
            psp_mask_ |= 1U << i;
        }
        // The budget was used up at t; the clock restarts at t + 1 with the new rates.
        budget_ = exponential_(rng);
        accrued_to_ = t + 1;
        select_rates();
        total_h_ = awake_hazard();
    }
}

}  // namespace sr::ssn
