#pragma once
// Model "salnet": SAL aligning feedback to forward weights in layered spiking networks (Fig. 7 and
// 9 of the SAL paper), see network.hpp and docs/sal.md.
#include "core/model.hpp"

namespace sr {

ModelPtr make_salnet_model();

}  // namespace sr
