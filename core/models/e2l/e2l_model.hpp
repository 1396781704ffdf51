#pragma once
// Models of e2l-cgp-snn's fitness simulations ("Evolving to learn", Jordan et al. 2020):
// e2l.correlation (Fig. 5), e2l.reward (Fig. 3), e2l.error (Fig. 4). docs/e2l.md.
#include "core/model.hpp"

namespace sr {

ModelPtr make_e2l_correlation_model();
ModelPtr make_e2l_reward_model();  // reward_driven.cpp
ModelPtr make_e2l_error_model();   // error_driven.cpp

}  // namespace sr
