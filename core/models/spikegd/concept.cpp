#include "core/models/spikegd/concept.hpp"

#include <limits>

namespace sr::spikegd {

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
    const double w_min = qif_min_I0_to_spike();
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

ConceptPoint concept_point(const ConceptConfig& c, double p) {
    const QifTrial trial = simulate_qif(c.neuron, concept_spec(c, p));
    if (trial.spike_times[0].empty()) return {std::numeric_limits<double>::infinity(), 0.0};
    return {trial.spike_times[0][0], trial.spike_tangents[0][0]};
}

std::vector<double> concept_grid(const ConceptConfig& c, int Nvar) {
    const double stop = c.vary == "weight" ? 2 * qif_min_I0_to_spike() : c.T;
    std::vector<double> grid(Nvar + 1);
    for (int i = 0; i <= Nvar; ++i) grid[i] = stop * i / Nvar;
    return grid;
}

std::vector<double> concept_examples(const ConceptConfig& c, const std::vector<double>& relative) {
    const double w_min = qif_min_I0_to_spike();
    const double unit = c.vary == "weight" ? w_min : qif_dt_spike(c.neuron, 0.0, c.w_exc_relative * w_min).v + 0.5;
    std::vector<double> out;
    for (double r : relative) out.push_back(r * unit);
    return out;
}

}  // namespace sr::spikegd
