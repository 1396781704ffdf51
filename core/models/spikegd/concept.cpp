#include "core/models/spikegd/concept.hpp"

#include <cmath>
#include <limits>

namespace sr::spikegd {

double concept_w_min(const ConceptConfig& c) {
    return c.neuron_model == "lif" ? lif_min_I0_to_spike(c.lif) : qif_min_I0_to_spike();
}

QifTrialSpec concept_spec(const ConceptConfig& c, double p) {
    QifTrialSpec s;
    s.N = 1;
    s.T = c.T;
    s.K = c.K;
    s.P = 1;
    s.w_net = {0.0};
    s.V0 = {0.0};
    s.I0 = {0.0};
    s.record = {1};
    const double w_min = concept_w_min(c);
    if (c.vary == "weight") {
        s.Nin = 1;
        s.w_in = {p};
        s.w_in_param = {0};
        s.inputs = {{0.5, 0, -1}};
    } else {
        s.Nin = 2;
        s.w_in = {-w_min, c.w_exc_relative * w_min};
        s.inputs = {{p, 0, 0}, {0.5, 1, -1}};
    }
    return s;
}

namespace {

// The same inputs for the LIF neuron, with the derivatives of time and weight w.r.t. p.
std::vector<LifInput> lif_inputs(const ConceptConfig& c, double p) {
    const double w_min = concept_w_min(c);
    if (c.vary == "weight") return {{0.5, p, 0.0, 1.0}};
    return {{p, -w_min, 1.0, 0.0}, {0.5, c.w_exc_relative * w_min, 0.0, 0.0}};
}

}  // namespace

ConceptPoint concept_point(const ConceptConfig& c, double p) {
    if (c.neuron_model == "lif") {
        const LifSpike s = lif_first_spike(c.lif, lif_inputs(c, p), c.T, c.K);
        return {s.t_out, s.grad};
    }
    const QifTrial trial = simulate_qif(c.neuron, concept_spec(c, p));
    if (trial.spike_times[0].empty()) return {std::numeric_limits<double>::infinity(), 0.0};
    return {trial.spike_times[0][0], trial.spike_tangents[0][0]};
}

ConceptTrace concept_trace(const ConceptConfig& c, double p, double dt) {
    ConceptTrace out;
    if (c.neuron_model != "lif") {
        auto spec = concept_spec(c, p);
        spec.record_states = true;
        const auto tr = qif_traces(c.neuron, spec, simulate_qif(c.neuron, spec), dt);
        return {tr.t, tr.V, tr.I};
    }
    std::vector<LifState> states{{0.0, 0.0, 0.0}};
    lif_first_spike(c.lif, lif_inputs(c, p), c.T, c.K, &states);
    states.push_back({c.T, 0.0, 0.0});
    for (std::size_t k = 0; k + 1 < states.size(); ++k) {
        const LifState& s = states[k];
        for (double t = s.t; t < states[k + 1].t; t += dt) {
            out.t.push_back(t);
            out.V.push_back(lif_flow_V(c.lif, s.V, s.I, t - s.t));
            out.I.push_back(s.I * std::exp(-2 * (t - s.t) / c.lif.tau));
        }
    }
    return out;
}

std::vector<double> concept_grid(const ConceptConfig& c, int Nvar) {
    const double stop = c.vary == "weight" ? 2 * concept_w_min(c) : c.T;
    std::vector<double> grid(Nvar + 1);
    for (int i = 0; i <= Nvar; ++i) grid[i] = stop * i / Nvar;
    return grid;
}

std::vector<double> concept_examples(const ConceptConfig& c, const std::vector<double>& relative) {
    const double w_min = concept_w_min(c);
    double unit = w_min;
    if (c.vary != "weight") {
        const double w_exc = c.w_exc_relative * w_min;
        unit = (c.neuron_model == "lif" ? lif_dt_spike(c.lif, 0.0, w_exc).v : qif_dt_spike(c.neuron, 0.0, w_exc).v) + 0.5;
    }
    std::vector<double> out;
    for (double r : relative) out.push_back(r * unit);
    return out;
}

}  // namespace sr::spikegd
