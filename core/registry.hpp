#pragma once
// Explicit model registry (no static-initialisation magic): builtin_models() lists every model once.
#include "core/model.hpp"

#include <map>
#include <string>
#include <vector>

namespace sr {

class ModelRegistry {
public:
    void add(ModelPtr model);
    // nullptr when unknown.
    ModelPtr find(const std::string& name) const;
    std::vector<std::string> names() const;

private:
    std::map<std::string, ModelPtr> models_;
};

// All models compiled into this binary. Adding a model = one line in core/models/builtin.cpp.
const ModelRegistry& builtin_models();

}  // namespace sr
