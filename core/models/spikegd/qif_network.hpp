#pragma once
// The event-based simulation of a QIF network exactly as spikegd's QIFNeuron.spike/event define it,
// with forward-mode tangents: every quantity that a trainable parameter reaches carries its
// derivative with respect to all P parameters, chained through the closed-form local partials of
// qif.hpp. With P = 0 it is the plain simulation.
//
// Conventions that change numbers (copied from the reference): an input spike wins only if it is
// strictly earlier than the next network spike; ties between neurons go to the lowest index;
// neurons within eps of their spike are masked (held at 1/eps, their pending spike time counted
// down); a spiking neuron is reset to -1/eps; the trial ends with an end event at T; at most K
// events (input events count) per trial, and a trial that has not reached T after K events is an
// error (the reference returns NaN times).
#include "core/models/spikegd/qif.hpp"

#include <cstddef>
#include <stdexcept>
#include <vector>

namespace sr::spikegd {

// Which parameter a quantity is (-1: a constant). Every trainable quantity is one parameter.
using ParamIndex = int;

struct QifInput {
    double time;
    int source;                 // column of the input weight matrix
    ParamIndex time_param = -1;
};

struct QifTrialSpec {
    int N = 1;         // network neurons
    int Nin = 0;       // input sources
    double T = 10.0;
    int K = 100;
    int P = 0;         // trainable parameters (tangent length)
    std::vector<double> w_net;          // N x N row-major, [i * N + j]: from j to i
    std::vector<ParamIndex> w_net_param;  // empty: all constant
    std::vector<double> w_in;           // N x Nin row-major
    std::vector<ParamIndex> w_in_param;   // empty: all constant
    std::vector<QifInput> inputs;       // any order; sorted stably by time
    std::vector<double> V0, I0;
    std::vector<ParamIndex> V0_param, I0_param;  // empty: constant
    // For the first `record[i]` ordinary spikes of neuron i the time and its tangent are kept.
    std::vector<int> record;
    bool record_states = false;  // keep the state after every event (for voltage traces)
};

struct QifEvent {
    double t;
    bool spike_in;
    int j;  // input source or neuron; -1 for the trial end
};

struct QifTrial {
    std::vector<QifEvent> events;  // up to and including the first end event
    int Kord = 0;                  // ordinary (input and network) spikes before the end
    std::vector<std::vector<double>> spike_times;    // per neuron, the recorded spikes
    std::vector<std::vector<double>> spike_tangents;  // per neuron, P values per recorded spike
    std::vector<double> V_end, I_end;  // the state at T
    std::vector<double> dV_end, dI_end;  // N x P tangents of the state at T
    std::vector<double> V_states, I_states;  // events x N, with QifTrialSpec::record_states
};

// Thrown when K events do not reach the trial end.
struct EventLimitExceeded : std::runtime_error {
    using std::runtime_error::runtime_error;
};

QifTrial simulate_qif(const QifParams& q, const QifTrialSpec& spec);

}  // namespace sr::spikegd

namespace sr::spikegd {

// The first `count` output times of `neuron`: its ordinary spikes, continued by pseudospikes
// T + k Theta - phi (k = 1, 2, ...) from the state at T with pseudo input current I + input
// (spikegd's outfn). `dinput` is the input's tangent (P values, or nullptr for a constant input).
struct OutputTimes {
    std::vector<double> t;
    std::vector<double> dt;  // count x P
};
// The state on a time grid of step dt from 0 to T (spikegd's traces): the closed-form flow from the
// state after each event. Needs a trial run with record_states. Returns times and V, I per neuron.
struct Traces {
    std::vector<double> t;
    std::vector<double> V, I;  // times x N
};
Traces qif_traces(const QifParams& q, const QifTrialSpec& spec, const QifTrial& trial, double dt);

OutputTimes output_times(const QifParams& q, const QifTrial& trial, int neuron, int count,
                         double input, const double* dinput, int P, double T);

}  // namespace sr::spikegd
