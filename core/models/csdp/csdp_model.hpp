#pragma once
// Model "csdp": spiking circuits trained by contrastive-signal-dependent plasticity (Ororbia,
// ago109/contrastive-signal-dependent-plasticity), MNIST-10k or Fashion-MNIST-10k classification.
#include "core/model.hpp"

namespace sr {

ModelPtr make_csdp_model();

}  // namespace sr
