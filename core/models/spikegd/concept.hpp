#pragma once
// spikegd's concept figure (experiments/concept/concept.py): one QIF neuron at rest receives an
// excitatory input of varying weight w at t = 0.5 ("weight"), or a fixed excitatory input at 0.5 and
// an inhibitory one (weight -pi^2/4) at a varying time ("time"). On a grid of the varied parameter:
// the first output spike time (infinity without one) and its exact derivative; for the QIF neuron
// or, for comparison, the LIF neuron.
#include "core/models/spikegd/lif.hpp"
#include "core/models/spikegd/qif.hpp"
#include "core/models/spikegd/qif_network.hpp"

#include <string>
#include <vector>

namespace sr::spikegd {

struct ConceptConfig {
    std::string neuron_model = "qif";  // or "lif"
    QifParams neuron;
    LifParams lif;
    std::string vary = "weight";  // or "time"
    double T = 4.0;
    int K = 4;
    double w_exc_relative = 1.5;  // "time": excitatory weight in units of pi^2/4
};

struct ConceptPoint {
    double t_out;  // infinity: no output spike
    double grad;   // d t_out / d parameter (0 without a spike)
};

QifTrialSpec concept_spec(const ConceptConfig& c, double p);
ConceptPoint concept_point(const ConceptConfig& c, double p);
// The minimal weight that makes the neuron at rest spike (pi^2/4 for QIF, 4 V_th for LIF).
double concept_w_min(const ConceptConfig& c);

// Voltage and current on a time grid of step dt from 0 to T for parameter value p.
struct ConceptTrace {
    std::vector<double> t, V, I;
};
ConceptTrace concept_trace(const ConceptConfig& c, double p, double dt);
// The grid of the reference: weights linspace(0, 2 pi^2/4, Nvar + 1) or times linspace(0, T, Nvar + 1).
std::vector<double> concept_grid(const ConceptConfig& c, int Nvar);
// Example parameters from their relative values: weights in units of pi^2/4, times in units of the
// output spike time with the excitatory input alone.
std::vector<double> concept_examples(const ConceptConfig& c, const std::vector<double>& relative);

}  // namespace sr::spikegd
