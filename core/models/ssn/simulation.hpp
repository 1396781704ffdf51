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
//  - EventDrivenSampler: between changes of any PSP or refractory state every neuron's spike
//    probability is constant, so its next spike can be drawn directly. Each neuron keeps an
//    Exp(1) threshold and spikes at the first step where its accumulated hazard −ln(1 − p)
//    exceeds it; P(no spike in n steps) = Π(1 − p) exactly as in the step loop. Cost grows with
//    the number of spikes, not steps.
#include "core/models/ssn/spike_statistics.hpp"
#include "core/models/ssn/types.hpp"
#include "core/rng.hpp"

#include <cstdint>
#include <vector>

namespace sr::ssn {

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
    // Points h_/inv_h_ at the hazards of every neuron for the current PSP counts.
    void select_hazards();
    // Rates change from step `tc` on: consume the hazard accrued at the old rates up to tc, then
    // predict each neuron's next spike at the new rates (h_new/inv_h_new).
    void reschedule(std::int64_t tc, const double* h_old);

    int dim_;
    int t_ref_;
    double log_t_ref_;
    std::int64_t psp_end_;
    // With at most one PSP per presynaptic neuron the PSP state is a bitmask, and each neuron's
    // hazard for a mask is cached for the current weights (filled lazily, invalidated by stamp).
    bool use_table_;

    const Matrix* w_ = nullptr;
    const Vector* b_ = nullptr;

    std::vector<double> remaining_;     // Exp(1) threshold minus hazard accrued so far
    std::vector<std::int64_t> start_;   // first step whose hazard is not yet accounted for
    std::vector<std::int64_t> next_;    // predicted spike step at the current rates
    std::vector<int> psp_count_;        // active PSPs per presynaptic neuron
    std::uint32_t psp_mask_ = 0;        // bit j set when psp_count_[j] > 0

    // Pending PSP ends (time, neuron), FIFO because all PSPs have the same length.
    std::vector<std::int64_t> psp_end_time_;
    std::vector<int> psp_end_neuron_;
    std::size_t psp_end_head_ = 0;
    std::size_t psp_end_size_ = 0;

    const double* h_ = nullptr;
    const double* inv_h_ = nullptr;
    std::vector<double> direct_h_;       // hazards when not using the table
    std::vector<double> direct_inv_h_;
    std::vector<double> table_h_;        // [mask * dim + i]
    std::vector<double> table_inv_h_;
    std::vector<std::uint64_t> table_stamp_;
    std::uint64_t stamp_ = 0;
};

}  // namespace sr::ssn
