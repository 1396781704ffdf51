#pragma once
// Models for testing the machinery (not science): their results are checkable functions of the
// parameters, they fail on request, or they sleep.
#include "core/model.hpp"

#include <vector>

namespace sr {

// testing.arith, testing.fail, testing.sleep, testing.noop, testing.counter (checkpoints),
// testing.symreg (symbolic regression, the fitness of quick evolution sweeps)
std::vector<ModelPtr> make_testing_models();
ModelPtr make_testing_symreg_model();

// The value testing.arith reports as "noise" for a seed; tests recompute expected metrics with it.
double testing_arith_noise(long long seed);

}  // namespace sr
