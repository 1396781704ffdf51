#include "core/models/testing/testing_models.hpp"
#include "core/registry.hpp"
#ifdef SWEEP_RUNNER_HAS_MODEL_ssn
#include "core/models/ssn/ssn_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_exec
#include "core/models/exec/exec_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_e2l
#include "core/models/e2l/e2l_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_microcircuit
#include "core/models/microcircuit/microcircuit_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_spikegd
#include "core/models/spikegd/spikegd_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_csdp
#include "core/models/csdp/csdp_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_stdd
#include "core/models/stdd/stdd_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_eisys
#include "core/models/eisys/eisys_model.hpp"
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_salnet
#include "core/models/salnet/salnet_model.hpp"
#endif

namespace sr {

const ModelRegistry& builtin_models() {
    static const ModelRegistry registry = [] {
        ModelRegistry r;
        for (ModelPtr model : make_testing_models()) r.add(std::move(model));
#ifdef SWEEP_RUNNER_HAS_MODEL_ssn
        r.add(make_ssn_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_microcircuit
        r.add(make_microcircuit_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_csdp
        r.add(make_csdp_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_exec
        r.add(make_exec_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_e2l
        r.add(make_e2l_correlation_model());
        r.add(make_e2l_reward_model());
        r.add(make_e2l_error_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_spikegd
        for (ModelPtr model : make_spikegd_models()) r.add(std::move(model));
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_stdd
        r.add(make_stdd_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_eisys
        r.add(make_eisys_model());
#endif
#ifdef SWEEP_RUNNER_HAS_MODEL_salnet
        r.add(make_salnet_model());
#endif
        return r;
    }();
    return registry;
}

}  // namespace sr
