#pragma once
// Models of e2l-cgp-snn's fitness simulations ("Evolving to learn", Jordan et al. 2020):
// e2l.correlation (Fig. 5), e2l.reward (Fig. 3). docs/e2l.md.
#include "core/model.hpp"

namespace sr {

ModelPtr make_e2l_correlation_model();
ModelPtr make_e2l_reward_model();  // reward_driven.cpp

}  // namespace sr
