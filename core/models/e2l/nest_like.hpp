#pragma once
// NEST pieces the e2l fitness simulations need, as NEST (commit 27dc242, April 2020, the version
// e2l-cgp-snn's Dockerfile builds) defines them: its time grid, the iaf_psc_delta neuron's update
// and the postsynaptic spike archive (Archiving_Node) that STDP synapses read. Shared by the e2l
// tasks (docs/e2l.md).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr::e2l {

// NEST's propagator_32 (libnestutil/propagator_stability.cpp): the membrane's response to a
// unit exponential current over one step, with its fallback near tau_syn = tau.
inline double propagator_32(double tau_syn, double tau, double C, double h) {
    const double linear = 1.0 / (2.0 * C * tau * tau) * h * h * (tau_syn - tau) * std::exp(-h / tau);
    const double singular = h / C * std::exp(-h / tau);
    const double regular = -tau / (C * (1.0 - tau / tau_syn)) * std::exp(-h / tau_syn) *
                           std::expm1(h * (1.0 / tau_syn - 1.0 / tau));
    if (tau == tau_syn || (std::abs(tau - tau_syn) < 0.1 && std::abs(regular - singular) > 2.0 * std::abs(linear))) {
        return singular;
    }
    return regular;
}

// NEST's time representation: integer tics (1000 per ms), steps of `tics_per_step` tics.
class Grid {
public:
    explicit Grid(double resolution_ms) : tics_per_step_(to_tics(resolution_ms)) {
        if (tics_per_step_ <= 0) throw std::invalid_argument("resolution must be at least 1 tic (0.001 ms)");
    }
    // Time::ms(t) rounds to the nearest tic; a spike_generator time must then lie on the grid.
    std::int64_t step_of(double t_ms) const {
        const std::int64_t tics = to_tics(t_ms);
        if (tics % tics_per_step_ != 0) {
            throw std::invalid_argument("spike time " + std::to_string(t_ms) +
                                        " ms is not on the simulation grid");
        }
        return tics / tics_per_step_;
    }
    // Steps of a duration (delays, refractory time), as Time(Time::ms(d)).get_steps().
    std::int64_t steps(double duration_ms) const { return to_tics(duration_ms) / tics_per_step_; }
    // Time::get_ms(): tics times the double 1/1000, the value NEST hands to synapses and recorders.
    double ms(std::int64_t step) const { return kMsPerTic * static_cast<double>(step * tics_per_step_); }
    double resolution() const { return ms(1); }

private:
    static constexpr double kTicsPerMs = 1000.0;
    static constexpr double kMsPerTic = 1.0 / kTicsPerMs;
    static std::int64_t to_tics(double t_ms) { return static_cast<std::int64_t>(t_ms * kTicsPerMs + 0.5); }
    std::int64_t tics_per_step_;
};

// iaf_psc_delta with exact integration; potentials relative to E_L as NEST stores them.
struct IafPscDeltaParams {
    double tau_m = 10.0;   // ms
    double C_m = 250.0;    // pF
    double t_ref = 2.0;    // ms
    double E_L = -70.0;    // mV
    double I_e = 0.0;      // pA
    double V_th = -55.0;   // mV (absolute)
    double V_reset = -70.0;
    double V_min = -std::numeric_limits<double>::max();  // NEST's default bound, not -inf
    bool refractory_input = false;
};

class IafPscDelta {
public:
    IafPscDelta(const IafPscDeltaParams& p, const Grid& grid, double V_m_init)
        : h_(grid.resolution()),
          tau_m_(p.tau_m),
          P33_(std::exp(-h_ / p.tau_m)),
          P30_(1.0 / p.C_m * (1.0 - std::exp(-h_ / p.tau_m)) * p.tau_m),
          I_e_(p.I_e),
          V_th_(p.V_th - p.E_L),
          V_reset_(p.V_reset - p.E_L),
          V_min_(p.V_min == -std::numeric_limits<double>::max() ? p.V_min : p.V_min - p.E_L),
          E_L_(p.E_L),
          refractory_counts_(static_cast<int>(grid.steps(p.t_ref))),
          refractory_input_(p.refractory_input),
          y3_(V_m_init - p.E_L) {}

    // One step of iaf_psc_delta::update with the summed weights of the spikes arriving in it;
    // true when the neuron spikes at the end of the step.
    bool step(double input) {
        if (r_ == 0) {
            y3_ = P30_ * (y0_ + I_e_) + P33_ * y3_ + input;
            if (refractory_input_ && refractory_buffer_ != 0.0) {
                y3_ += refractory_buffer_;
                refractory_buffer_ = 0.0;
            }
            y3_ = y3_ < V_min_ ? V_min_ : y3_;
        } else {
            // Input during the refractory period is lost unless refractory_input is set.
            if (refractory_input_) refractory_buffer_ += input * std::exp(-r_ * h_ / tau_m_);
            --r_;
        }
        if (y3_ >= V_th_) {
            r_ = refractory_counts_;
            y3_ = V_reset_;
            return true;
        }
        return false;
    }

    double V_m() const { return y3_ + E_L_; }

private:
    double h_, tau_m_, P33_, P30_, I_e_, V_th_, V_reset_, V_min_, E_L_;
    int refractory_counts_;
    bool refractory_input_;
    double y3_;
    double y0_ = 0.0;  // no current input in these tasks
    int r_ = 0;
    double refractory_buffer_ = 0.0;
};

// The postsynaptic side of NEST's STDP (Archiving_Node): spike times with the trace K- after
// each. NEST prunes entries every synapse has read and that no later read can reach (the
// pruning rule of 27dc242), so keeping all of them gives the same answers.
class SpikeArchive {
public:
    explicit SpikeArchive(double tau_minus) : tau_minus_inv_(1.0 / tau_minus) {}

    void add_spike(double t_ms) {
        K_minus_ = K_minus_ * std::exp((last_spike_ - t_ms) * tau_minus_inv_) + 1.0;
        last_spike_ = t_ms;
        history_.push_back({t_ms, K_minus_});
    }

    // get_K_value(t): the trace just after the latest spike strictly before t (by more than
    // NEST's stdp_eps), decayed to t; 0 before the first spike.
    double K_value(double t) const {
        for (std::size_t i = history_.size(); i-- > 0;) {
            if (t - history_[i].t > kStdpEps) return history_[i].K_minus * std::exp((history_[i].t - t) * tau_minus_inv_);
        }
        return 0.0;
    }

    // get_history(t1, t2): calls f(t) for the spikes in (t1, t2] (with stdp_eps), oldest first.
    template <class F>
    void for_each_spike(double t1, double t2, F&& f) const {
        const double t1_lim = t1 + kStdpEps, t2_lim = t2 + kStdpEps;
        std::size_t end = history_.size();
        while (end > 0 && history_[end - 1].t >= t2_lim) --end;
        std::size_t begin = end;
        while (begin > 0 && history_[begin - 1].t >= t1_lim) --begin;
        for (std::size_t i = begin; i < end; ++i) f(history_[i].t);
    }

    std::size_t size() const { return history_.size(); }

private:
    static constexpr double kStdpEps = 1.0e-6;  // ConnectionManager's stdp_eps default
    struct Entry {
        double t;
        double K_minus;
    };
    double tau_minus_inv_;
    double K_minus_ = 0.0;
    double last_spike_ = -1.0;  // Archiving_Node's initial value
    std::vector<Entry> history_;
};

}  // namespace sr::e2l
