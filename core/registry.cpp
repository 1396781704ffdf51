#include "core/registry.hpp"

#include <stdexcept>

namespace sr {

void ModelRegistry::add(ModelPtr model) {
    const std::string name = model->info().name;
    if (!models_.emplace(name, std::move(model)).second) {
        throw std::logic_error("model registered twice: " + name);
    }
}

ModelPtr ModelRegistry::find(const std::string& name) const {
    const auto it = models_.find(name);
    return it == models_.end() ? nullptr : it->second;
}

std::vector<std::string> ModelRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, model] : models_) out.push_back(name);
    return out;
}

}  // namespace sr
