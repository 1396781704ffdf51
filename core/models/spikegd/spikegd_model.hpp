#pragma once
// Models "spikegd.single", "spikegd.rnn" and "spikegd.concept": exact-gradient training of QIF
// spiking networks (chklos/spikegd, natively). Parameter names are the reference's config keys.
#include "core/model.hpp"

#include <vector>

namespace sr {

std::vector<ModelPtr> make_spikegd_models();

}  // namespace sr
