#pragma once
// Model "stdd": the exact STDD of two coupled sampling neurons and its SAL updates (Fig. 2c, 2e,
// 11, 12 of the SAL paper), see chain.hpp and docs/sal.md.
#include "core/model.hpp"

namespace sr {

ModelPtr make_stdd_model();

}  // namespace sr
