#pragma once
#include "core/model.hpp"

namespace lab {

// A leaky integrate-and-fire neuron under constant input plus white noise, simulated with Euler
// steps. Metrics: its firing rate, and the noise-free rate from the closed form, to compare.
sr::ModelPtr make_lif_rate_model();

}  // namespace lab
