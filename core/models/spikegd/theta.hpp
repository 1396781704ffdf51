#pragma once
// spikegd's theta neuron (spikegd/theta.py) in a layered feed-forward network (the MNIST network of
// experiments/mnist): phases advance at rate 1 and spike at Theta; an input of weight w moves a
// phase by the jump H(phi, w); the network starts at phases phi0 and receives "virtual" input spikes.
// Output times are the first spikes of the output layer, continued by pseudospikes T + Theta - H
// from a rate-network readout of the end phases. Gradients by a hand-written reverse (adjoint)
// pass over the recorded events: one backward sweep gives the derivative with respect to every
// weight and initial phase.
#include <cstddef>
#include <vector>

namespace sr::spikegd {

struct ThetaParams {
    double tau = 6 / 3.14159265358979323846;
    double I0 = 1.25;
    double eps = 1e-6;
    double root() const;   // sqrt(I0 - 1/4)
    double Theta() const;  // tau pi / root: the free period, the spiking phase
};

// H(phi, w) with its partials; the identity within eps of 0 and of Theta.
struct ThetaJump {
    double v;
    double dphi;
    double dw;
};
ThetaJump theta_H(const ThetaParams& q, double phi, double w);

// Layers: sizes[0] .. sizes[L-1], the last is the output layer. weights[0] is sizes[0] x Nin
// (virtual inputs), weights[l] is sizes[l] x sizes[l-1], row-major.
struct ThetaNet {
    int Nin = 1;
    std::vector<int> sizes;
    std::vector<std::vector<double>> weights;
    std::vector<double> phi0;  // all neurons, layer after layer
    int neurons() const;
};

struct ThetaEvent {
    double t;
    bool spike_in;
    int j;  // input or neuron; -1: trial end
};

struct ThetaForward {
    std::vector<ThetaEvent> events;  // up to and including the first end event
    std::vector<double> phi_end;
    std::vector<double> t_out;       // output layer: first spike or pseudospike
    std::vector<char> pseudo;        // per output: 1 if t_out is a pseudospike
    std::vector<std::vector<double>> rates;  // readout rates per non-output layer
    std::vector<double> input_out;   // readout input of the output layer
    int hidden_spikes = 0;           // ordinary spikes of non-output neurons before T
    // What the backward pass needs: per event the phases after the flow, before the jumps.
    std::vector<double> psi;
    std::vector<int> first_spike_event;  // per output neuron, -1 without a spike
};

// Runs one trial. `input_times[v]` is virtual input v's spike time (infinity: none). Throws
// EventLimitExceeded when K events do not reach T.
ThetaForward theta_forward(const ThetaParams& q, const ThetaNet& net, const std::vector<double>& input_times,
                           double T, int K);

// The reference's loss: cross entropy of softmax(-t_out) for `label` plus gamma (exp(t_label / T) - 1).
double theta_loss(const std::vector<double>& t_out, int label, double gamma, double T);

// dL/d(weights) and dL/d(phi0) for that loss, by the adjoint pass; gradients are added to
// `grad_weights` (shaped as net.weights) and `grad_phi0`.
double theta_loss_gradient(const ThetaParams& q, const ThetaNet& net, const ThetaForward& fw, int label,
                           double gamma, double T, std::vector<std::vector<double>>& grad_weights,
                           std::vector<double>& grad_phi0);

}  // namespace sr::spikegd
