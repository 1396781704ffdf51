#pragma once
// The stochastic spiking sampler (Buesing et al. 2011 in discrete time, as the reference runs it):
// at every step t each neuron i that is not refractory (its last spike more than t_ref steps back)
// spikes with probability σ(u_i − ln t_ref), where
//     u_i = b_i + Σ_j W_ij · #{spikes s of j among its last 10 with 0 < t − s < tau_syn}.
// Spikes of step t only affect steps > t. Every epoch starts from rest (no spikes in memory).
//
// Two implementations with the same law:
//  - simulate_time_stepped: the literal step loop (one uniform per neuron and step), kept as the
//    executable reference for the tests and the benchmark;
//  - EventDrivenSampler: between changes of the PSPs or of the set of non-refractory ("awake")
//    neurons, every step is an independent repetition: awake neuron i fires with a constant
//    probability p_i. So the network as a whole is a clock: with hazard h_i = −ln(1 − p_i) and
//    H = Σ_awake h_i, P(no spike at a step) = e^−H, and the first step with a spike is where the
//    accumulated H exceeds an Exp(1) budget (exact in discrete time, also across rate changes).
//    At that step the spiking set is drawn from the independent Bernoullis conditioned on not
//    being empty: the first spiker i with probability p_i Π_{awake j<i}(1 − p_j) / (1 − e^−H),
//    every later awake neuron with its own p_j. PSP ends and wake-ups are read from one ring of
//    recent spikes with two heads (all PSPs and refractory periods have the same length), so the
//    cost per spike is O(dim) and independent of the number of steps.
#include "core/models/ssn/exponential.hpp"
#include "core/models/ssn/lanes.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "core/models/ssn/types.hpp"
#include "core/rng.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace sr::ssn {

// "No such event": beyond any duration, far from overflow when steps are added.
inline constexpr std::int64_t kNeverTime = std::numeric_limits<std::int64_t>::max() / 4;

// How many past spikes per neuron the reference's simulator remembers for the PSPs.
inline constexpr int kPspMemory = 10;

// Steps after a spike at s at which its PSP is gone: the first integer Δt ≥ tau_syn.
std::int64_t psp_end_offset(double tau_syn);

// True when tau_syn is short enough that the 10-spike memory never drops a spike that is still
// inside the PSP window (the only regime both implementations support).
bool psp_memory_suffices(int t_ref, double tau_syn);

// Generic over the uniform source (anything with uniform() in [0, 1): our Rng, or model eisys's
// port of numpy's legacy generator, which makes the reference's seeded runs reproducible) and
// over the spike sink (anything with add_spike(t, neuron), called in emission order).
template <class Generator, class Sink>
void simulate_time_stepped(const Matrix& w, const Vector& b, int t_ref, double tau_syn,
                           std::int64_t duration, Generator& rng, Sink& sink) {
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
                sink.add_spike(t, i);
                for (int k = 0; k + 1 < kPspMemory; ++k) mine[k] = mine[k + 1];
                mine[kPspMemory - 1] = now;
            }
        }
    }
}

// Receives the spikes of EventDrivenSampler::run's sink overload, in emission order (time, then
// neuron ascending), for callers that measure their own statistics (model eisys).
class SpikeSink {
public:
    virtual void add_spike(std::int64_t t, int neuron) = 0;

protected:
    ~SpikeSink() = default;
};

class EventDrivenSampler {
public:
    EventDrivenSampler(int dim, int t_ref, double tau_syn);

    // Simulates `duration` steps with weights `w` and biases `b`, feeding `stats` (already reset).
    void run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng,
             SpikeStatistics& stats);
    // The same law, every spike handed to `sink` (no state samples).
    void run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng, SpikeSink& sink);

    // Whether run uses 4-lane blocks (lanes.hpp): by default where the CPU has them. Either way
    // the results are bitwise the same; the tests compare both.
    bool wide_lanes() const { return wide_lanes_; }
    void set_wide_lanes(bool wide) { wide_lanes_ = wide && wide_lanes_available(); }

    // Whether run counts the state samples itself where the layout allows it (see run; the
    // default) or leaves them to the statistics. The same counts either way; the tests and the
    // benchmark compare both.
    void set_counts_states_by_spans(bool by_spans) { span_states_ = by_spans; }

private:
    // Where the rates of one PSP state sit in a row of `size` doubles: every neuron's hazard h_i
    // (at 0) and spike probability p_i (at `slots`; NaN for neurons that cannot be awake in that
    // state), and over the neurons without a PSP of their own, which are usually exactly the
    // awake ones: Σ h and 1 / Σ h, Π (1 − p) (none), the first-spiker walk's cumulated
    // probabilities and inverse widths per neuron and P(none of those after i fires)
    // (none_after). The inverses turn divisions on the per-spike path into products. Networks
    // of up to 8 neurons share one layout (kSmallRows), known at compile time in the event loop.
    struct RowLayout {
        std::size_t slots;
        std::size_t hazard_at;
        std::size_t inverse_hazard_at;
        std::size_t none_at;
        std::size_t cumulated_at;
        std::size_t inverse_width_at;
        std::size_t none_after_at;
        std::size_t size;
        static constexpr RowLayout for_slots(std::size_t slots);
    };
    static const RowLayout kSmallRows;
    template <bool kSmall>
    const RowLayout& row_layout() const;

    // Who counts the state samples: the statistics from the spikes, the event loop from the PSP
    // states of its spans (see run), or nobody (the epoch samples no states).
    enum class StateCounting { by_statistics, by_spans, none };
    // The event loop, inlined into one function per lane width: run_lanes (2 lanes), which
    // hands over to run_wide, compiled for the CPUs that have the wide lanes, where they are
    // available. kSmall: the table has kSmallRows. state_counts: where by_spans counts.
    // Stats: SpikeStatistics, or the adapter of a SpikeSink (kStates none).
    template <bool kTable, bool kSmall, bool kWakeFollowsPsp, StateCounting kStates, int kLaneWidth, class Stats>
    void run_loop(std::int64_t duration, Rng& rng, Stats& stats, std::int64_t* state_counts);
    template <bool kTable, bool kSmall, bool kWakeFollowsPsp, StateCounting kStates = StateCounting::by_statistics,
              class Stats = SpikeStatistics>
    void run_lanes(std::int64_t duration, Rng& rng, Stats& stats, std::int64_t* state_counts = nullptr);
#if SR_SSN_WIDE_LANES
    template <bool kTable, bool kSmall, bool kWakeFollowsPsp, StateCounting kStates, class Stats>
    SR_SSN_WIDE_TARGET void run_wide(std::int64_t duration, Rng& rng, Stats& stats,
                                     std::int64_t* state_counts);
#endif
    // New weights: the cached rates are stale (and a long epoch fills the table at once).
    void set_weights(const Matrix& w, const Vector& b, std::int64_t duration);
    void compute_rates(double* row, std::uint32_t psp_mask) const;
    // compute_rates for every PSP mask, with the membrane potentials built up mask by mask.
    void fill_table();
    // Whether a neuron's own PSP keeps it refractory (its PSP ends before it wakes up).
    bool own_psp_keeps_asleep() const { return psp_end_ <= wake_after_; }
    // The neurons whose rates a row needs: those that can be awake in its PSP state.
    std::uint32_t can_be_awake(std::uint32_t psp_mask) const;
    // One neuron's hazard and spike probability in a row, from its membrane potential.
    void neuron_rates(double* row, int neuron, double membrane) const;
    // The row's sums and first-spiker walk over the neurons without PSP (see RowLayout), from
    // their hazards and probabilities; cache_walk_in for the row layout (kSmall: kSmallRows).
    void cache_walk(double* row, std::uint32_t psp_mask) const;
    template <bool kSmall>
    void cache_walk_in(double* row, std::uint32_t psp_mask) const;
    // The awake neurons firing at a spike step (at least one), as a bitmask. Inline: the
    // common case, where the row caches the walk; the others out of line. `all` and `dim` are
    // the event loop's copies of all_mask_ and dim_ (members would be reloaded per spike).
    template <int kLaneWidth, bool kSmall>
    std::uint32_t draw_spiking_set(const double* row, std::uint32_t awake_mask, std::uint32_t psp_mask,
                                   std::uint32_t all, int dim, Rng& rng) const;
    std::uint32_t draw_spiking_set_general(const double* row, std::uint32_t awake_mask, Rng& rng) const;
    // The first spiker among `candidates` (P(none of them) = p_none) by the uniform u, then
    // while u says so the later ones.
    std::uint32_t draw_walk(const double* row, std::uint32_t candidates, double p_none, double u,
                            Rng& rng) const;

    int dim_;
    bool wide_lanes_ = wide_lanes_available();
    bool span_states_ = true;
    double log_t_ref_;
    std::int64_t psp_end_;
    std::int64_t wake_after_;
    // A neuron wakes up when its PSP ends or one step later (then no wake-up events are needed).
    bool wake_follows_psp_;
    // With at most one PSP per presynaptic neuron the PSP state is a bitmask, and the rates of
    // every mask met are cached for the current weights (filled lazily, invalidated by stamp).
    bool use_table_;
    std::uint32_t all_mask_;
    RowLayout layout_;  // kSmallRows up to 8 neurons

    const Matrix* w_ = nullptr;
    const Vector* b_ = nullptr;

    std::vector<std::int64_t> ring_time_;  // recent spikes, see run_loop
    std::vector<std::uint8_t> ring_neuron_;
    std::uint64_t wrap_;
    std::vector<int> psp_count_;  // active PSPs per presynaptic neuron (direct rates only)

    ExponentialZiggurat exponential_;
    std::vector<double> direct_row_;  // rates when not using the table
    std::vector<double> table_;       // layout_.size doubles per PSP mask
    std::vector<std::uint64_t> table_stamp_;
    std::vector<double> membranes_;  // fill_table's membrane potentials, dim per mask
    std::uint64_t stamp_ = 0;
};

}  // namespace sr::ssn
