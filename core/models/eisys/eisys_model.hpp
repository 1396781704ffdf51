#pragma once
// Model "eisys": Dale's-law E-I systems and small explicit sampling networks (Fig. 2d, 9/10 of
// the SAL paper), see eisys.hpp and docs/sal.md.
#include "core/model.hpp"

namespace sr {

ModelPtr make_eisys_model();

}  // namespace sr
