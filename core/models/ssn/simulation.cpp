#include "core/models/ssn/simulation.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

namespace sr::ssn {
namespace {

// Largest network whose per-mask hazard table (2^dim rows) is worth keeping.
constexpr int kTableMaxDim = 12;
// Networks up to this size have the walk's cumulated probabilities padded to this many (with
// +inf), so the draw compares them all without a loop.
constexpr int kNarrowWalk = 8;
// Steps per table row from which an epoch fills the whole table up front.
constexpr std::int64_t kStepsPerEagerRow = 64;
// Epochs this long or longer leave the state samples to the statistics (run_loop's count is
// exact below).
constexpr std::int64_t kMaxSpanCountedDuration = std::int64_t{1} << 40;

// Spike probability p = σ(x) and hazard h = −ln(1 − p) = ln(1 + eˣ) from one exponential,
// written to stay finite for large |x|.
void probability_and_hazard(double x, double& p, double& h) {
    // Selects instead of branches: the sign of x is random across a table's rows.
    const double e = std::exp(-std::abs(x));
    p = (x > 0.0 ? 1.0 : e) / (1.0 + e);
    h = std::max(x, 0.0) + std::log1p(e);
}

}  // namespace

std::int64_t psp_end_offset(double tau_syn) {
    return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(tau_syn)));
}

bool psp_memory_suffices(int t_ref, double tau_syn) {
    // Spikes of one neuron are ≥ t_ref + 1 apart and a PSP covers Δt = 1 .. end − 1.
    return psp_end_offset(tau_syn) - 1 <= static_cast<std::int64_t>(kPspMemory) * (t_ref + 1);
}

constexpr EventDrivenSampler::RowLayout EventDrivenSampler::RowLayout::for_slots(std::size_t slots) {
    RowLayout layout{};
    layout.slots = slots;
    layout.hazard_at = 2 * slots;
    layout.inverse_hazard_at = layout.hazard_at + 1;
    layout.none_at = layout.hazard_at + 2;
    layout.cumulated_at = layout.none_at + 1;
    layout.inverse_width_at = layout.cumulated_at + std::max<std::size_t>(slots, kNarrowWalk);
    layout.none_after_at = layout.inverse_width_at + slots;
    layout.size = layout.none_after_at + slots;
    return layout;
}

constexpr EventDrivenSampler::RowLayout EventDrivenSampler::kSmallRows = RowLayout::for_slots(kNarrowWalk);

template <bool kSmall>
const EventDrivenSampler::RowLayout& EventDrivenSampler::row_layout() const {
    if constexpr (kSmall) {
        return kSmallRows;  // constants in the event loop
    } else {
        return layout_;
    }
}

EventDrivenSampler::EventDrivenSampler(int dim, int t_ref, double tau_syn)
    : dim_(dim),
      log_t_ref_(std::log(static_cast<double>(t_ref))),
      psp_end_(psp_end_offset(tau_syn)),
      wake_after_(static_cast<std::int64_t>(t_ref) + 1),
      wake_follows_psp_(wake_after_ - psp_end_ == 0 || wake_after_ - psp_end_ == 1),
      use_table_(dim <= kTableMaxDim && psp_end_ <= t_ref + 2),
      all_mask_((1U << dim) - 1U),
      layout_(dim <= kNarrowWalk ? kSmallRows : RowLayout::for_slots(static_cast<std::size_t>(dim))),
      // A spike stays in the ring until its PSP has ended and its neuron woke up; per neuron that
      // is at most the PSP memory plus one (psp_memory_suffices). Plus the tail's sentinel.
      ring_time_(std::bit_ceil(static_cast<std::size_t>(dim) * (kPspMemory + 2) + 1)),
      ring_neuron_(ring_time_.size()),
      wrap_(ring_time_.size() - 1),
      psp_count_(static_cast<std::size_t>(dim)),
      direct_row_(layout_.size) {
    if (use_table_) {
        const std::size_t rows = std::size_t{1} << dim;
        table_.assign(rows * layout_.size, std::numeric_limits<double>::quiet_NaN());
        table_stamp_.assign(rows, 0);
    }
}

std::uint32_t EventDrivenSampler::draw_walk(const double* row, std::uint32_t candidates, double p_none,
                                            double u, Rng& rng) const {
    const double* p = row + layout_.slots;
    std::uint32_t spiking = 0;
    while (true) {
        const double target = u * (1.0 - p_none);
        double below = 0.0;
        double none_yet = 1.0;
        int first = -1;
        // p_none is built from the same products, so the walk lands on a candidate up to
        // rounding (then: the last one).
        for (std::uint32_t m = candidates; m != 0; m &= m - 1) {
            first = std::countr_zero(m);
            const double width = none_yet * p[first];
            below += width;
            if (target < below) {
                u = std::clamp(1.0 - (below - target) / width, 0.0, std::nextafter(1.0, 0.0));
                break;
            }
            none_yet *= 1.0 - p[first];
        }
        spiking |= 1U << first;
        candidates &= ~((2U << first) - 1U);  // only neurons after `first` remain
        p_none = 1.0;
        for (std::uint32_t m = candidates; m != 0; m &= m - 1) p_none *= 1.0 - p[std::countr_zero(m)];
        if (u < p_none) return spiking;
        u = rng.uniform();
    }
}

std::uint32_t EventDrivenSampler::draw_spiking_set_general(const double* row, std::uint32_t awake_mask,
                                                           Rng& rng) const {
    const double* p = row + layout_.slots;
    const double u = rng.uniform();
    double p_none = 1.0;
    for (std::uint32_t m = awake_mask; m != 0; m &= m - 1) p_none *= 1.0 - p[std::countr_zero(m)];
    return draw_walk(row, awake_mask, p_none, u, rng);
}

void EventDrivenSampler::compute_rates(double* row, std::uint32_t psp_mask) const {
    // Branch-free on the mask (mask-dependent branches mispredicted ~30 times per row). Adding
    // w·0 for an absent PSP leaves the membrane potential bitwise unchanged.
    const Matrix& w = *w_;
    const Vector& b = *b_;
    std::array<double, 32> membrane;  // the first dim_ set below
    for (int i = 0; i < dim_; ++i) {
        double u = b[i];
        for (int j = 0; j < dim_; ++j) {
            const int count = use_table_ ? static_cast<int>((psp_mask >> j) & 1U) : psp_count_[j];
            u += w(i, j) * count;
        }
        membrane[i] = u;
    }
    std::fill(row, row + 2 * layout_.slots, std::numeric_limits<double>::quiet_NaN());
    for (std::uint32_t m = can_be_awake(psp_mask); m != 0; m &= m - 1) {
        const int i = std::countr_zero(m);
        neuron_rates(row, i, membrane[i]);
    }
    cache_walk(row, psp_mask);
}

void EventDrivenSampler::fill_table() {
    // The membrane potentials of a mask are those of the mask without its highest neuron plus
    // that neuron's weights: the same sums in the same (ascending) order as compute_rates, with
    // one addition per neuron and row instead of dim.
    const Matrix& w = *w_;
    const Vector& b = *b_;
    const std::size_t rows = std::size_t{1} << dim_;
    const auto dim = static_cast<std::size_t>(dim_);
    membranes_.resize(rows * dim);
    for (std::size_t i = 0; i < dim; ++i) membranes_[i] = b[static_cast<Eigen::Index>(i)];
    for (std::size_t mask = 1; mask < rows; ++mask) {
        const int high = std::bit_width(mask) - 1;
        const double* parent = &membranes_[(mask ^ (std::size_t{1} << high)) * dim];
        double* u = &membranes_[mask * dim];
        for (std::size_t i = 0; i < dim; ++i) u[i] = parent[i] + w(static_cast<Eigen::Index>(i), high);
    }
    // The same values as compute_rates row by row, computed neuron by neuron over the masks in
    // which it can be awake: loops of fixed length instead of a loop over each mask's bits,
    // whose varying length mispredicted ~4 times per row. The other neurons' rates stay NaN
    // from the table's construction.
    const bool own_psp_keeps_asleep = this->own_psp_keeps_asleep();
    for (std::size_t i = 0; i < dim; ++i) {
        const std::size_t low = (std::size_t{1} << i) - 1;
        // Masks without bit i: every k < rows / 2 with a zero inserted at bit i.
        const std::size_t count = own_psp_keeps_asleep ? rows / 2 : rows;
        for (std::size_t k = 0; k < count; ++k) {
            const std::size_t mask = own_psp_keeps_asleep ? ((k & ~low) << 1) | (k & low) : k;
            neuron_rates(&table_[mask * layout_.size], static_cast<int>(i), membranes_[mask * dim + i]);
        }
    }
    for (std::size_t mask = 0; mask < rows; ++mask) {
        cache_walk(&table_[mask * layout_.size], static_cast<std::uint32_t>(mask));
        table_stamp_[mask] = stamp_;
    }
}

std::uint32_t EventDrivenSampler::can_be_awake(std::uint32_t psp_mask) const {
    // A neuron with a PSP of its own is refractory unless PSPs outlast refractoriness.
    return own_psp_keeps_asleep() ? ~psp_mask & all_mask_ : all_mask_;
}

void EventDrivenSampler::neuron_rates(double* row, int neuron, double membrane) const {
    probability_and_hazard(membrane - log_t_ref_, row[layout_.slots + static_cast<std::size_t>(neuron)],
                           row[static_cast<std::size_t>(neuron)]);
}

void EventDrivenSampler::cache_walk(double* row, std::uint32_t psp_mask) const {
    if (dim_ <= kNarrowWalk) {
        cache_walk_in<true>(row, psp_mask);
    } else {
        cache_walk_in<false>(row, psp_mask);
    }
}

template <bool kSmall>
void EventDrivenSampler::cache_walk_in(double* row, std::uint32_t psp_mask) const {
    // Over the neurons without PSP, in ascending order as draw_spiking_set multiplies: the
    // summed hazard, P(none fires), the first-spiker walk and P(none after i fires). The others,
    // and the padding of small rows, take part with p = h = +0: adding 0 or multiplying by 1
    // leaves every value bitwise unchanged, so the loops can run over all `slots` (a constant
    // for small rows: no branch per row; varying trip counts mispredicted ~3 times per row).
    const RowLayout& layout = row_layout<kSmall>();
    const std::size_t slots = layout.slots;
    const double* h = row;
    const double* p = row + slots;
    const std::uint32_t without_psp = ~psp_mask & all_mask_;
    // Bit masks, not selects (those compiled to branches); a neuron's own p and h may be NaN.
    std::array<double, 32> walk_p;
    std::array<double, 32> walk_h;
    for (std::size_t i = 0; i < slots; ++i) {
        const std::uint64_t keep = 0 - static_cast<std::uint64_t>((without_psp >> i) & 1U);
        walk_p[i] = std::bit_cast<double>(std::bit_cast<std::uint64_t>(p[i]) & keep);
        walk_h[i] = std::bit_cast<double>(std::bit_cast<std::uint64_t>(h[i]) & keep);
    }
    double hazard = 0.0;
    double none = 1.0;
    double below = 0.0;
    for (std::size_t i = 0; i < slots; ++i) {
        const double width = none * walk_p[i];
        below += width;
        hazard += walk_h[i];
        none *= 1.0 - walk_p[i];
        row[layout.cumulated_at + i] = below;
        row[layout.inverse_width_at + i] = 1.0 / width;  // inf outside the walk, never used there
        double none_after = 1.0;
        for (std::size_t j = i + 1; j < slots; ++j) none_after *= 1.0 - walk_p[j];
        row[layout.none_after_at + i] = none_after;
    }
    // Padding the draw never counts.
    for (int i = dim_; i < kNarrowWalk; ++i) row[layout.cumulated_at + i] = std::numeric_limits<double>::infinity();
    row[layout.hazard_at] = hazard;
    row[layout.inverse_hazard_at] = 1.0 / hazard;
    row[layout.none_at] = none;
}

template <int kLaneWidth, bool kSmall>
[[gnu::always_inline]] inline std::uint32_t EventDrivenSampler::draw_spiking_set(
    const double* row, std::uint32_t awake_mask, std::uint32_t psp_mask, std::uint32_t all, int dim, Rng& rng) const {
    // Independent Bernoullis over the awake neurons, conditioned on at least one. The first
    // spiker i has probability p_i Π_{awake j<i}(1 − p_j) / (1 − Π_awake(1 − p_j)): walk the
    // awake neurons until the cumulated probability passes u·(1 − P(none)). Where u fell within
    // the chosen neuron's interval is again uniform and independent of the choice, so it also
    // decides whether any later awake neuron fires too (rarely: p ≈ 1/t_ref each); if so, the
    // first of those is drawn the same way from a fresh uniform, and so on (draw_walk).
    // The out-of-line parts draw from a copy of the generator (see ExponentialZiggurat).
    if (awake_mask != (~psp_mask & all)) {
        Rng scratch = rng;
        const std::uint32_t spiking = draw_spiking_set_general(row, awake_mask, scratch);
        rng = scratch;
        return spiking;
    }
    // The awake neurons are those without PSP: the row holds their walk. Its cumulated
    // probabilities never decrease, so the first spiker is the number of them ≤ the target.
    const RowLayout& layout = row_layout<kSmall>();
    double u = rng.uniform();
    const double* cumulated = row + layout.cumulated_at;
    const double target = u * (1.0 - row[layout.none_at]);
    int first = 0;
    if (kSmall || dim <= kNarrowWalk) {
        typename Lanes<kLaneWidth>::Mask below{};  // −1 per lane and cumulated value ≤ target
        for (int i = 0; i < kNarrowWalk; i += kLaneWidth) {
            typename Lanes<kLaneWidth>::Block c;
            std::memcpy(&c, cumulated + i, sizeof c);
            below += c <= target;
        }
        for (int lane = 0; lane < kLaneWidth; ++lane) first -= static_cast<int>(below[lane]);
    } else {
        for (int i = 0; i < dim; ++i) first += cumulated[i] <= target ? 1 : 0;
    }
    if (first < dim) {
        u = std::clamp(1.0 - (cumulated[first] - target) * row[layout.inverse_width_at + first], 0.0,
                       std::nextafter(1.0, 0.0));
    } else {
        first = 31 - std::countl_zero(awake_mask);  // rounding, as in draw_walk
    }
    const std::uint32_t spiking = 1U << first;
    const double p_none = row[layout.none_after_at + first];
    if (u < p_none) return spiking;
    const double u_later = rng.uniform();
    Rng scratch = rng;
    const std::uint32_t later = draw_walk(row, awake_mask & ~((2U << first) - 1U), p_none, u_later, scratch);
    rng = scratch;
    return spiking | later;
}

void EventDrivenSampler::set_weights(const Matrix& w, const Vector& b, std::int64_t duration) {
    w_ = &w;
    b_ = &b;
    if (use_table_) {
        ++stamp_;  // new weights: every cached row is stale
        // Epochs long enough to meet every PSP state (the published ones: 50,000 steps, 128
        // rows) fill the table at once, short ones only the rows they meet.
        if ((std::int64_t{1} << dim_) * kStepsPerEagerRow <= duration) fill_table();
    }
}

namespace {
// A SpikeSink in the shape run_loop feeds (SpikeStatistics::add_spike_lanes).
struct SinkAdapter {
    SpikeSink& sink;
    template <int kLaneWidth, bool kSampleStates>
    void add_spike_lanes(std::int64_t t, int neuron) {
        sink.add_spike(t, neuron);
    }
};
}  // namespace

void EventDrivenSampler::run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng, SpikeSink& sink) {
    set_weights(w, b, duration);
    SinkAdapter adapter{sink};
    constexpr StateCounting kNone = StateCounting::none;
    const bool small = dim_ <= kNarrowWalk;
    if (use_table_ && small) {
        if (wake_follows_psp_) {
            run_lanes<true, true, true, kNone>(duration, rng, adapter);
        } else {
            run_lanes<true, true, false, kNone>(duration, rng, adapter);
        }
    } else if (use_table_) {
        if (wake_follows_psp_) {
            run_lanes<true, false, true, kNone>(duration, rng, adapter);
        } else {
            run_lanes<true, false, false, kNone>(duration, rng, adapter);
        }
    } else if (wake_follows_psp_) {
        run_lanes<false, false, true, kNone>(duration, rng, adapter);
    } else {
        run_lanes<false, false, false, kNone>(duration, rng, adapter);
    }
}

void EventDrivenSampler::run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng,
                             SpikeStatistics& stats) {
    set_weights(w, b, duration);
    const bool small = dim_ <= kNarrowWalk;
    if (use_table_ && small && wake_follows_psp_) {
        // The published layout. A neuron wakes at most one step after its PSP ends, so its
        // on-period (t_spike, t_spike + t_ref] is its PSP plus at most that one step: the loop
        // knows the network state on each of its spans and counts the samples there, instead
        // of the statistics reconstructing them at every spike. Samples at half steps (odd
        // t_ref) need the spikes.
        if (!stats.samples_states()) {
            run_lanes<true, true, true, StateCounting::none>(duration, rng, stats);
        } else if (span_states_ && stats.t_ref() == wake_after_ - 1 && stats.t_ref() % 2 == 0 &&
                   duration < kMaxSpanCountedDuration) {
            run_lanes<true, true, true, StateCounting::by_spans>(duration, rng, stats, stats.count_states_by_mask());
        } else {
            run_lanes<true, true, true>(duration, rng, stats);
        }
    } else if (use_table_ && small) {
        run_lanes<true, true, false>(duration, rng, stats);
    } else if (use_table_) {
        if (wake_follows_psp_) {
            run_lanes<true, false, true>(duration, rng, stats);
        } else {
            run_lanes<true, false, false>(duration, rng, stats);
        }
    } else if (wake_follows_psp_) {
        run_lanes<false, false, true>(duration, rng, stats);
    } else {
        run_lanes<false, false, false>(duration, rng, stats);
    }
}

template <bool kTable, bool kSmall, bool kWakeFollowsPsp, EventDrivenSampler::StateCounting kStates, class Stats>
void EventDrivenSampler::run_lanes(std::int64_t duration, Rng& rng, Stats& stats, std::int64_t* state_counts) {
#if SR_SSN_WIDE_LANES
    if (wide_lanes_) {
        run_wide<kTable, kSmall, kWakeFollowsPsp, kStates>(duration, rng, stats, state_counts);
        return;
    }
#endif
    run_loop<kTable, kSmall, kWakeFollowsPsp, kStates, kNarrowLanes>(duration, rng, stats, state_counts);
}

#if SR_SSN_WIDE_LANES
template <bool kTable, bool kSmall, bool kWakeFollowsPsp, EventDrivenSampler::StateCounting kStates, class Stats>
SR_SSN_WIDE_TARGET void EventDrivenSampler::run_wide(std::int64_t duration, Rng& rng, Stats& stats,
                                                     std::int64_t* state_counts) {
    run_loop<kTable, kSmall, kWakeFollowsPsp, kStates, kWideLanes>(duration, rng, stats, state_counts);
}
#endif

template <bool kTable, bool kSmall, bool kWakeFollowsPsp, EventDrivenSampler::StateCounting kStates, int kLaneWidth,
          class Stats>
[[gnu::always_inline]] inline void EventDrivenSampler::run_loop(std::int64_t duration, Rng& caller_rng, Stats& stats,
                                                                std::int64_t* state_counts) {
    // A copy, kept in registers: through the reference every draw reloaded the state.
    Rng rng = caller_rng;
    // The state lives in locals so that it stays in registers across the statistics' stores.
    const RowLayout& layout = row_layout<kSmall>();
    const std::size_t stride = layout.size;
    const std::size_t hazard_at = layout.hazard_at;
    const std::size_t inverse_hazard_at = layout.inverse_hazard_at;
    const std::uint32_t all = all_mask_;
    const int dim = dim_;
    std::uint32_t psp_mask = 0;     // bit j set while neuron j has a PSP
    std::uint32_t awake_mask = all;  // bit i set when neuron i is not refractory (general layout)
    if constexpr (!kTable) std::fill(psp_count_.begin(), psp_count_.end(), 0);

    // Spike times, oldest first. Every spike's PSP ends psp_end_ steps and its neuron wakes
    // t_ref + 1 steps after it, so both kinds of events come in spike order: two read heads
    // (running counters, masked into the ring) instead of two queues. The slot at the tail
    // always holds kNeverTime, so a head that caught up reads "no event" without a test.
    std::int64_t* const ring_time = ring_time_.data();
    std::uint8_t* const ring_neuron = ring_neuron_.data();
    const std::uint64_t wrap = wrap_;
    const std::int64_t psp_end = psp_end_;
    const std::int64_t wake_after = wake_after_;
    std::uint64_t tail = 0;
    std::uint64_t psp_head = 0;
    std::uint64_t wake_head = 0;
    ring_time[0] = kNeverTime;
    // The heads' next event times, reread whenever a head moves or a spike lands under it.
    std::int64_t next_psp_end = kNeverTime;
    std::int64_t next_wake = kNeverTime;

    // When a neuron wakes up at most one step after its PSP ended (kWakeFollowsPsp, e.g. the
    // published tau_syn = t_ref), the awake neurons are those without PSP, but for the one step
    // between PSP end and wake-up. Wake-ups need no events then: a neuron whose PSP ends at
    // `now` counts as awake at once and its hazard for that step is added to the budget. The
    // spike step, the first at which the accrued hazard reaches the budget, is the same; only
    // if it is step `now` itself, the neurons in `asleep_now` are left out of the spiking set.
    const bool one_step_asleep = wake_after - psp_end == 1;
    std::uint32_t asleep_now = 0;

    // Ends the PSPs ending at step tc; returns the neurons left without PSP.
    const auto end_psps_at = [&](std::int64_t tc) {
        std::uint32_t ended = 0;
        while (next_psp_end == tc) {
            const int j = ring_neuron[psp_head++ & wrap];
            next_psp_end = ring_time[psp_head & wrap] + psp_end;
            if constexpr (!kTable) {
                if (--psp_count_[j] != 0) continue;
            }
            ended |= 1U << j;
        }
        psp_mask &= ~ended;
        return ended;
    };
    const auto wake_at = [&](std::int64_t tc) {
        while (next_wake == tc) {
            awake_mask |= 1U << ring_neuron[wake_head++ & wrap];
            next_wake = ring_time[wake_head & wrap] + wake_after;
        }
    };
    // Rates of the current PSP state (see compute_rates).
    const auto rates = [&]() -> const double* {
        if constexpr (kTable) {
            double* row = &table_[static_cast<std::size_t>(psp_mask) * stride];
            if (table_stamp_[psp_mask] != stamp_) {
                compute_rates(row, psp_mask);
                table_stamp_[psp_mask] = stamp_;
            }
            return row;
        } else {
            compute_rates(direct_row_.data(), psp_mask);
            return direct_row_.data();
        }
    };
    // H of the awake neurons: the row's sum over neurons without PSP, corrected for the few that
    // are asleep without PSP (between PSP end and wake-up) or awake with one.
    const auto awake_hazard = [&](const double* row) {
        double total = row[hazard_at];
        if (awake_mask == (~psp_mask & all)) return total;
        for (std::uint32_t m = ~awake_mask & ~psp_mask & all; m != 0; m &= m - 1) {
            total -= row[std::countr_zero(m)];
        }
        for (std::uint32_t m = awake_mask & psp_mask; m != 0; m &= m - 1) total += row[std::countr_zero(m)];
        return std::max(total, 0.0);
    };
    // kWakeFollowsPsp: the neurons whose PSPs just ended at `now` sleep through it (if the
    // layout says so) and their hazard for that step is credited.
    const auto sleep_one_step = [&](std::uint32_t ended, const double* row) {
        asleep_now = one_step_asleep ? ended : 0;
        double credit = 0.0;
        for (std::uint32_t m = asleep_now; m != 0; m &= m - 1) credit += row[std::countr_zero(m)];
        return credit;
    };

    // The global clock: steps before `now` are accounted for; `budget` is the Exp(1) budget minus
    // the hazard accrued since the last spike step; H the awake neurons' total hazard per step.
    std::int64_t now = 0;
    double budget = exponential_(rng);
    const double* row = rates();
    double total_h = 0.0;
    double inverse_h = 0.0;  // 1 / total_h
    const auto set_hazard = [&](const double* row) {
        if constexpr (kWakeFollowsPsp) {
            total_h = row[hazard_at];
            inverse_h = row[inverse_hazard_at];
        } else {
            total_h = awake_hazard(row);
            inverse_h = total_h == row[hazard_at] ? row[inverse_hazard_at] : 1.0 / total_h;
        }
    };
    set_hazard(row);

    // The state samples (every t_ref / 2 steps; the next one at next_sample ≥ now) at the
    // steps [now, end): on is every neuron with a PSP, plus at step `now` the neurons between
    // PSP end and wake-up (asleep_now). The count is branch-free (whether a sample falls into a
    // span is a coin flip) and exact: (x + ½) / spacing lies at least ½ / spacing from an integer.
    const std::int64_t sample_spacing = (wake_after - 1) / 2;  // t_ref / 2: even t_ref (see run)
    const double inverse_spacing = 1.0 / static_cast<double>(sample_spacing);
    std::int64_t next_sample = 0;
    const auto count_states = [&](std::int64_t end) {
        const std::int64_t x = end - 1 - next_sample + sample_spacing;  // ≥ 1
        const auto count = static_cast<std::int64_t>((static_cast<double>(x) + 0.5) * inverse_spacing);
        state_counts[psp_mask] += count;
        if (next_sample == now && asleep_now != 0) {  // rare: a sample in the one asleep step
            --state_counts[psp_mask];
            ++state_counts[psp_mask | asleep_now];
        }
        next_sample += count * sample_spacing;
    };

    while (true) {
        const std::int64_t t_psp_end = next_psp_end;
        const std::int64_t tc = kWakeFollowsPsp ? t_psp_end : std::min(t_psp_end, next_wake);
        // Rates are constant on [now, tc), a span of at least one step. The budget lasts through
        // it unless it is at most the span's hazard; only then is the spike step worth computing.
        const std::int64_t span = std::min(tc, duration) - now;
        const double span_hazard = total_h * static_cast<double>(span);
        if (budget > span_hazard) {
            if constexpr (kStates == StateCounting::by_spans) count_states(std::min(tc, duration));
            if (tc >= duration) break;
            budget -= span_hazard;
            now = tc;
            // PSP ends and wake-ups change the rates from step tc on (before its spikes).
            if constexpr (kWakeFollowsPsp) {
                const std::uint32_t ended = end_psps_at(tc);
                row = rates();
                set_hazard(row);
                budget += sleep_one_step(ended, row);
            } else {
                if (t_psp_end == tc) {
                    end_psps_at(tc);
                    row = rates();
                }
                wake_at(tc);
                set_hazard(row);
            }
            continue;
        }
        // The first step whose accumulated hazard reaches the budget: ceil(budget / H) steps on
        // (budget times the cached 1 / H; clamped to the span should rounding disagree with the
        // comparison above).
        const double steps = budget * inverse_h;
        auto k = static_cast<std::int64_t>(steps);
        k += static_cast<double>(k) < steps;
        const std::int64_t t = now + std::clamp<std::int64_t>(k, 1, span) - 1;
        if constexpr (kStates == StateCounting::by_spans) count_states(t + 1);

        std::uint32_t awake = awake_mask;
        if constexpr (kWakeFollowsPsp) {
            // A mask, not a select: compiled to a branch, it mispredicted once in eight spikes.
            awake = ~psp_mask & all & ~(asleep_now & -static_cast<std::uint32_t>(t == now));
        }
        // Nobody awake only if a budget rounded away in the credited step: then no spike, and
        // the clock restarts with a fresh budget.
        std::uint32_t spiking = awake != 0 ? draw_spiking_set<kLaneWidth, kSmall>(row, awake, psp_mask, all, dim, rng) : 0;
        // The clock restarts at t + 1 with the rates of that step. PSPs ending there go before the
        // new ones start: a neuron whose PSP outlasts its refractory period by one step may
        // spike exactly when its previous PSP ends (the mask must not lose its new PSP).
        now = t + 1;
        std::uint32_t ended = end_psps_at(now);
        if constexpr (!kWakeFollowsPsp) awake_mask &= ~spiking;
        psp_mask |= spiking;
        while (spiking != 0) {  // ascending index, as the step loop emits them
            const int i = std::countr_zero(spiking);
            spiking &= spiking - 1;
            stats.template add_spike_lanes<kLaneWidth, kStates == StateCounting::by_statistics>(t, i);
            ring_time[tail & wrap] = t;
            ring_neuron[tail & wrap] = static_cast<std::uint8_t>(i);
            ring_time[++tail & wrap] = kNeverTime;
            if constexpr (!kTable) ++psp_count_[i];
        }
        next_psp_end = ring_time[psp_head & wrap] + psp_end;
        // Then the new PSPs that end at once (tau_syn ≤ 1) and the wake-ups due at t + 1, so the
        // next span is never empty.
        ended |= end_psps_at(now);
        budget = exponential_(rng);
        row = rates();
        if constexpr (kWakeFollowsPsp) {
            budget += sleep_one_step(ended, row);
        } else {
            next_wake = ring_time[wake_head & wrap] + wake_after;
            wake_at(now);
        }
        set_hazard(row);
    }
    caller_rng = rng;
}

}  // namespace sr::ssn
