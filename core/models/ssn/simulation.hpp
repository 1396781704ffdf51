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
//    every later awake neuron with its own p_j. PSP ends and wake-ups come from two FIFOs (all
//    PSPs and refractory periods have the same length), so the cost per spike is O(dim) and
//    independent of the number of steps.
#include "core/models/ssn/exponential.hpp"
#include "core/models/ssn/spike_statistics.hpp"
#include "core/models/ssn/types.hpp"
#include "core/rng.hpp"

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

void simulate_time_stepped(const Matrix& w, const Vector& b, int t_ref, double tau_syn,
                           std::int64_t duration, Rng& rng, SpikeStatistics& stats);

class EventDrivenSampler {
public:
    EventDrivenSampler(int dim, int t_ref, double tau_syn);

    // Simulates `duration` steps with weights `w` and biases `b`, feeding `stats` (already reset).
    void run(const Matrix& w, const Vector& b, std::int64_t duration, Rng& rng,
             SpikeStatistics& stats);

private:
    // A FIFO of (time, neuron) in a ring buffer of power-of-two size.
    struct TimedQueue {
        std::vector<std::int64_t> time;
        std::vector<int> neuron;
        std::size_t wrap;  // capacity − 1
        std::size_t head = 0;
        std::size_t size = 0;
        explicit TimedQueue(std::size_t capacity);
        std::int64_t front_time() const { return size > 0 ? time[head] : kNeverTime; }
        void push(std::int64_t t, int i);
        int pop();
    };

    // Points h_/p_ at every neuron's hazard and spike probability for the current PSP counts.
    void select_rates();
    void end_psp(int neuron);
    double awake_hazard() const;
    // Rates change at step tc: charge the budget for the steps before tc at the old total hazard.
    void settle(std::int64_t tc);
    // The awake neurons firing at a spike step, as a bitmask.
    std::uint32_t draw_spiking_set(Rng& rng) const;
    // The lowest-index firing neuron among `candidates`, given that at least one fires;
    // p_none = P(none of them fires), u a uniform on [0, 1), replaced by a fresh one (see .cpp).
    int draw_first_spiker(std::uint32_t candidates, double p_none, double& u) const;

    int dim_;
    int t_ref_;
    double log_t_ref_;
    std::int64_t psp_end_;
    // With at most one PSP per presynaptic neuron the PSP state is a bitmask, and the rates for a
    // mask are cached for the current weights (rows filled lazily, invalidated by stamp).
    bool use_table_;
    std::uint32_t all_mask_;

    const Matrix* w_ = nullptr;
    const Vector* b_ = nullptr;

    std::vector<int> psp_count_;     // active PSPs per presynaptic neuron
    std::uint32_t psp_mask_ = 0;     // bit j set when psp_count_[j] > 0
    std::uint32_t awake_mask_ = 0;   // bit i set when neuron i is not refractory
    TimedQueue psp_ends_;
    TimedQueue wake_ups_;

    ExponentialZiggurat exponential_;
    double budget_ = 0.0;        // Exp(1) budget minus the hazard accrued since the last spike
    std::int64_t accrued_to_ = 0;  // steps before this are accounted for in budget_
    double total_h_ = 0.0;       // H of the awake neurons at the current rates

    const double* h_ = nullptr;
    const double* p_ = nullptr;
    std::vector<double> direct_h_;  // rates when not using the table
    std::vector<double> direct_p_;
    std::vector<double> table_h_;   // [mask * dim + i]
    std::vector<double> table_p_;
    std::vector<double> table_h_outside_;  // [mask]: Σ h_i over neurons i without PSP
    std::vector<std::uint64_t> table_stamp_;
    std::uint64_t stamp_ = 0;
};

}  // namespace sr::ssn
