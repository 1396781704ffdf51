#pragma once
// Model "ssn": training a spiking sampling network towards a Boltzmann target with STDP and
// optional SAL (sal-code's scripts/ssn/train_bm.py, natively). Parameters are exp.yaml's.
#include "core/model.hpp"

namespace sr {

ModelPtr make_ssn_model();

}  // namespace sr
