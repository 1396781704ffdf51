#pragma once
// Everything an epoch needs from its spikes, accumulated online as they are emitted (time
// ascending, then neuron ascending) so no spike list is ever stored:
//  - the nearest-spike pair sums behind the triangular STDP kernel,
//  - spike counts (rates),
//  - the histogram of network states sampled every t_ref/2 steps, a neuron being "on" during
//    (t_spike, t_spike + t_ref] (in epochs that sample states; the event-driven sampler may
//    count them itself, see count_states_by_mask).
// Both simulation paths feed the same accumulator, and the fidelity tests feed it spike lists.
#include "core/models/ssn/lanes.hpp"
#include "core/models/ssn/types.hpp"

#include <cstdint>
#include <cstring>
#include <vector>

namespace sr::ssn {

// Whether an epoch samples network states (training epochs need only pair sums and counts).
enum class StateSampling { on, off };

class SpikeStatistics {
public:
    // `stdp_widths`: the kernel widths (tau) in use; pair sums are kept per width.
    SpikeStatistics(int dim, int t_ref, int stdp_num_last_spikes, std::vector<double> stdp_widths);

    // Starts an epoch of `duration` steps: clears all sums. With StateSampling::off the epoch
    // has no state samples (num_state_samples() is 0), which saves their cost per spike.
    void reset(std::int64_t duration, StateSampling sampling = StateSampling::on);

    // One spike; calls must come in emission order.
    void add_spike(std::int64_t t, int neuron) { add_spike_lanes<kNarrowLanes>(t, neuron); }

    // For a simulator that knows the network state between its events (see
    // EventDrivenSampler): after reset, it counts this epoch's state samples itself, into the
    // returned array indexed by neuron bitmask (bit i: neuron i on; 2^dim entries, zeroed),
    // instead of this class counting them from the spikes. finish() folds them into
    // state_counts() and checks that every sample was counted once. Null when the epoch samples
    // no states.
    std::int64_t* count_states_by_mask();

    // Closes the state histogram at the end of the epoch; call once after the last spike.
    void finish();

    int dim() const { return dim_; }
    int t_ref() const { return t_ref_; }
    // Whether add_spike still counts this epoch's state samples.
    bool samples_states() const { return states_ == StateCounter::spikes; }
    std::int64_t duration() const { return duration_; }
    std::int64_t num_spikes() const { return num_spikes_; }
    const std::vector<std::int64_t>& spike_counts() const { return spike_counts_; }
    std::int64_t num_state_samples() const { return num_samples_; }
    const std::vector<std::int64_t>& state_counts() const { return state_counts_; }

    // Σ over nearest-spike pairs (pre j before post i, 0 < Δt < tau) of (tau − Δt), for the
    // width with index `width_index` in the constructor's list. Entry (i, j); after finish().
    const Matrix& pair_sums(std::size_t width_index) const { return pair_sums_[width_index]; }

    // One spike, kLaneWidth lanes at a time in the published shape (see lanes.hpp: the wide
    // width only inside functions compiled for it); the same sums at either width. Without
    // kSampleStates, for a caller that counts the states itself or samples none.
    template <int kLaneWidth, bool kSampleStates = true>
    inline void add_spike_lanes(std::int64_t t, int neuron);

private:
    // Rows of networks up to this size are padded to it (others to a multiple of
    // kRowAlignLanes; padding: no spike ever), so that the hot path has a fixed shape. The
    // published networks (≤ 8 neurons, one kernel width, the last spike only) take
    // add_spike_blocks with every count fixed at compile time, unrolled and inlined; with a
    // single remembered spike the pair sums read the last spike times the states use. Other
    // shapes take the same code with the counts read at run time (0), out of line.
    static constexpr int kSmallStride = 8;
    template <int kLaneWidth, int kBlocks, bool kSingle, bool kSampleStates = true>
    void add_spike_blocks(std::int64_t t, int neuron);
    void add_spike_general(std::int64_t t, int neuron);
    template <int kLaneWidth, int kBlocks>
    int blocks() const { return kBlocks != 0 ? kBlocks : stride_ / kLaneWidth; }

    [[noreturn]] static void throw_refractory_violation(std::int64_t t, int neuron);
    // Counts every sample at a time ≤ x not counted yet. Each one's state comes straight from the
    // last spike times (a neuron is on at τ when τ − t_spike ∈ (0, t_ref]); called before a spike
    // at x is recorded, when the last spikes are all < x and so ≤ every pending sample time.
    template <int kLaneWidth, int kBlocks>
    void count_samples_through(std::int64_t x) {
        using Block = typename Lanes<kLaneWidth>::Block;
        // Locals: the count stores could otherwise alias the members and force reloads.
        std::int64_t sample = next_sample_;
        std::int64_t twice_time = next_sample_twice_time_;
        const std::int64_t end = num_samples_;
        while (twice_time <= 2 * x && sample < end) {
            const double tau = 0.5 * static_cast<double>(twice_time);
            Block state{};
            for (int block = 0; block < blocks<kLaneWidth, kBlocks>(); ++block) {
                Block last;
                Block weight;
                std::memcpy(&last, &last_spike_[block * kLaneWidth], sizeof last);
                std::memcpy(&weight, &state_weight_[block * kLaneWidth], sizeof weight);
                const Block age = tau - last;
                state += (age > 0.0) & (age <= t_ref_real_) ? weight : 0.0;
            }
            // Sums of distinct powers of two: exact in any order.
            double index = 0.0;
            for (int lane = 0; lane < kLaneWidth; ++lane) index += state[lane];
            ++state_counts_[static_cast<std::int64_t>(index)];  // signed: one instruction
            ++sample;
            twice_time += t_ref_;
        }
        next_sample_ = sample;
        next_sample_twice_time_ = twice_time;
    }

    int dim_;
    int t_ref_;
    int num_last_;
    std::vector<double> widths_;

    std::int64_t duration_ = 0;
    std::int64_t num_spikes_ = 0;
    std::int64_t num_samples_ = 0;
    std::vector<std::int64_t> spike_counts_;
    std::vector<std::int64_t> state_counts_;
    std::vector<Matrix> pair_sums_;  // filled by finish() from pair_rows_

    int stride_;  // kSmallStride, or dim rounded up to kRowAlignLanes
    bool small_single_;  // stride kSmallStride, one width, one remembered spike
    // pair_rows_[(w * dim + post) * stride_ + pre]: the running sums for width w.
    std::vector<double> pair_rows_;
    // recent_[k * stride_ + neuron], k < num_last_: each neuron's last spike times (−inf: none;
    // unused when num_last_ is 1: last_spike_ holds them);
    // recent_slot_[neuron] is the slot its next spike overwrites (the oldest).
    std::vector<double> recent_;
    std::vector<int> recent_slot_;

    // State histogram: samples are counted lazily, up to each new spike. last_spike_[neuron]
    // (−inf: none; padded like recent_) and state_weight_ = 2^state_bit (0 in the padding).
    // Who counts this epoch's state samples: add_spike from the spikes, the simulator into
    // mask_counts_ (count_states_by_mask), or nobody (StateSampling::off).
    enum class StateCounter { spikes, simulator, nobody };
    StateCounter states_ = StateCounter::spikes;
    std::vector<std::int64_t> mask_counts_;
    std::int64_t next_sample_ = 0;             // index k of the next sample to count
    std::int64_t next_sample_twice_time_ = 0;  // its time k·t_ref/2, doubled to stay integer
    double t_ref_real_;
    std::vector<double> last_spike_;
    std::vector<double> state_weight_;
};

// Raw STDP matrix of a pair-based rule with the triangular kernel: entry (i, j) =
// a_plus(i,j)·Σ_{j before i}(1 − Δt/τ) + a_minus(i,j)·Σ_{i before j}(1 − Δt/τ), i.e. the reference's
// sum before dividing by the duration. `pair_sums` from SpikeStatistics for this τ.
Matrix stdp_from_pair_sums(const Matrix& pair_sums, const Matrix& a_plus, const Matrix& a_minus,
                           double tau);

// Spike count / duration × t_ref per neuron (≈ the time fraction a neuron is on).
Vector spike_rates(const SpikeStatistics& stats, int t_ref);

// Sampled state distribution (2^dim, sums to one).
std::vector<double> sampled_distribution(const SpikeStatistics& stats);

// Sampled coactivation <z_i z_j> with a zero diagonal, and the marginals <z_i>.
void sampled_coactivation(const SpikeStatistics& stats, Matrix& coact, Vector& marginals);

// ---- inline hot path ----

template <int kLaneWidth, bool kSampleStates>
[[gnu::always_inline]] inline void SpikeStatistics::add_spike_lanes(std::int64_t t, int neuron) {
    if (small_single_) {
        add_spike_blocks<kLaneWidth, kSmallStride / kLaneWidth, true, kSampleStates>(t, neuron);
    } else {
        add_spike_general(t, neuron);
    }
}

template <int kLaneWidth, int kBlocks, bool kSingle, bool kSampleStates>
[[gnu::always_inline]] inline void SpikeStatistics::add_spike_blocks(std::int64_t t, int neuron) {
    using Block = typename Lanes<kLaneWidth>::Block;
    ++num_spikes_;
    ++spike_counts_[neuron];

    // Pair sums: this spike is the post spike for every other neuron's recent spikes (pairs with
    // the roles swapped are counted when the other neuron fires later). Simultaneous spikes
    // (Δt = 0) contribute nothing. The loop includes pre == neuron and the padding lanes to stay
    // branch-free; padding has Δt = ∞ (kernel 0) and the diagonal is cleared in finish().
    const auto now = static_cast<double>(t);
    const std::size_t widths = kSingle ? 1 : widths_.size();
    const int num_last = kSingle ? 1 : num_last_;
    for (std::size_t w = 0; w < widths; ++w) {
        const double width = widths_[w];
        double* __restrict row =
            pair_rows_.data() + (w * static_cast<std::size_t>(dim_) + static_cast<std::size_t>(neuron)) * stride_;
        for (int k = 0; k < num_last; ++k) {
            const double* __restrict last =
                kSingle ? last_spike_.data() : recent_.data() + static_cast<std::size_t>(k) * stride_;
            for (int block = 0; block < blocks<kLaneWidth, kBlocks>(); ++block) {
                Block previous;
                Block sums;
                std::memcpy(&previous, last + block * kLaneWidth, sizeof previous);
                std::memcpy(&sums, row + block * kLaneWidth, sizeof sums);
                const Block dt = now - previous;
                const Block reach = width - dt;
                const Block kernel = reach > 0.0 ? reach : 0.0;
                sums += dt > 0.0 ? kernel : 0.0;
                std::memcpy(row + block * kLaneWidth, &sums, sizeof sums);
            }
        }
    }

    // State histogram: samples up to t do not see this spike yet. Its neuron's previous
    // on-period has always ended (refractoriness > t_ref): the last spike is all a state needs.
    if constexpr (kSampleStates) {
        if (states_ == StateCounter::spikes) count_samples_through<kLaneWidth, kBlocks>(t);
    }
    if (now - last_spike_[neuron] <= t_ref_real_) throw_refractory_violation(t, neuron);
    last_spike_[neuron] = now;
    if constexpr (!kSingle) {
        int& recent_slot = recent_slot_[neuron];
        recent_[static_cast<std::size_t>(recent_slot) * stride_ + neuron] = now;
        recent_slot = recent_slot + 1 == num_last_ ? 0 : recent_slot + 1;
    }
}

}  // namespace sr::ssn
