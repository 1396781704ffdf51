#pragma once
// e2l-cgp-snn's stdp_sympy_synapse (nest/stdp-sympy-synapse-module/stdp_sympy_connection.h):
// pair STDP whose facilitation and depression increments are evolved expressions of
// (w / Wmax, trace). Read line by line; the comments name what the reference does.
#include "core/models/e2l/nest_like.hpp"
#include "core/symbolic/expression.hpp"

#include <cmath>

namespace sr::e2l {

struct StdpSympyParams {
    double tau_plus = 20.0;  // ms
    double lambda = 0.01;
    double alpha = 1.0;
    double Wmax = 100.0;  // the module's default; the correlation task sets 1
    double delay = 1.0;   // ms, all dendritic
};

// The two rules, compiled over (x_0, x_1) = (w / Wmax, trace).
struct StdpSympyRule {
    symbolic::Evaluator depress;
    symbolic::Evaluator facilitate;
    // A rule without x_1 skips computing the trace (an exp per evaluation); same values.
    bool depress_uses_trace = true;
    bool facilitate_uses_trace = true;
};

// Compiles both rules; throws std::invalid_argument for a variable other than x_0, x_1 or for
// a zoo/nan rule (the models score those -inf before simulating).
inline StdpSympyRule make_stdp_sympy_rule(const symbolic::Expr& depress, const symbolic::Expr& facilitate) {
    auto uses_trace = [](const symbolic::Expr& e) {
        for (const std::string& v : symbolic::variables(e)) {
            if (v == "x_1") return true;
        }
        return false;
    };
    return {symbolic::compile(depress, 2), symbolic::compile(facilitate, 2), uses_trace(depress), uses_trace(facilitate)};
}

// One synapse's state: its weight, the presynaptic trace K+ and the last presynaptic spike.
struct StdpSympySynapse {
    double weight = 1.0;
    double K_plus = 0.0;
    double t_lastspike = 0.0;

    // send(): updates the weight for a presynaptic spike at t_spike (the spike's stamp, ms) and
    // returns the weight the spike carries. `post` holds the postsynaptic spikes so far.
    double send(double t_spike, const StdpSympyParams& p, const StdpSympyRule& rule, const SpikeArchive& post) {
        const double d = p.delay;
        // Facilitation once per postsynaptic spike in (t_lastspike - d, t_spike - d], with the
        // presynaptic trace at that spike.
        post.for_each_spike(t_lastspike - d, t_spike - d, [&](double t_post) {
            const double minus_dt = t_lastspike - (t_post + d);
            weight = facilitate(weight, rule.facilitate_uses_trace ? K_plus * std::exp(minus_dt / p.tau_plus) : 0.0, p, rule);
        });
        // Depression once, with the postsynaptic trace just before t_spike - d.
        weight = depress(weight, rule.depress_uses_trace ? post.K_value(t_spike - d) : 0.0, p, rule);
        K_plus = K_plus * std::exp((t_lastspike - t_spike) / p.tau_plus) + 1.0;
        t_lastspike = t_spike;
        return weight;
    }

private:
    // Clipped on one side only, and written so that NaN fails the comparison: a NaN increment
    // sets the weight to Wmax (facilitation) or 0 (depression), as the reference does.
    // With Wmax = 1 (the correlation task) w / Wmax and norm_w * Wmax are exact, so skipping them
    // gives the same bits and takes a division off the weight's chain of dependent updates.
    static double facilitate(double w, double k_plus, const StdpSympyParams& p, const StdpSympyRule& rule) {
        const bool unit = p.Wmax == 1.0;
        const double x[2] = {unit ? w : w / p.Wmax, k_plus};
        const double norm_w = x[0] + p.lambda * rule.facilitate(x);
        return norm_w < 1.0 ? (unit ? norm_w : norm_w * p.Wmax) : p.Wmax;
    }
    static double depress(double w, double k_minus, const StdpSympyParams& p, const StdpSympyRule& rule) {
        const bool unit = p.Wmax == 1.0;
        const double x[2] = {unit ? w : w / p.Wmax, k_minus};
        const double norm_w = x[0] - p.alpha * p.lambda * rule.depress(x);
        return norm_w > 0.0 ? (unit ? norm_w : norm_w * p.Wmax) : 0.0;
    }
};

}  // namespace sr::e2l
