#pragma once
// Model "microcircuit": spiking dendritic cortical microcircuits learning a teacher's mapping with
// backprop (copied), feedback-alignment (frozen) or SAL (spike-based aligned) feedback weights.
#include "core/model.hpp"

namespace sr {

ModelPtr make_microcircuit_model();

}  // namespace sr
