#include "core/model.hpp"

namespace sr {

Params default_params(const ModelInfo& info) {
    Params params = Json::object();
    for (const ParamSpec& spec : info.params) {
        if (!spec.default_value.is_null()) set_path(params, spec.name, spec.default_value);
    }
    return params;
}

}  // namespace sr
