#include "scheduler/expansion.hpp"

#include "core/sha256.hpp"

#include <cmath>
#include <map>
#include <sstream>

namespace sr {
namespace {

// Integral values without a trailing ".0" (the range of an integer parameter reads [0, 100]).
std::string number_text(double v) {
    if (std::isfinite(v) && v == std::floor(v) && std::abs(v) < 1e15) return std::to_string(static_cast<long long>(v));
    return Json(v).dump();
}

void check_range(const ParamSpec& spec, double v) {
    if ((spec.min && v < *spec.min) || (spec.max && v > *spec.max)) {
        std::string range = "[" + (spec.min ? number_text(*spec.min) : "-inf") + ", " +
                            (spec.max ? number_text(*spec.max) : "inf") + "]";
        throw ParamError(spec.name, "value " + number_text(v) + " is out of range " + range);
    }
}

double as_real(const ParamSpec& spec, const Json& v, const std::string& expected) {
    if (!v.is_number()) throw ParamError(spec.name, "expected " + expected + ", got " + v.dump());
    const double x = v.get<double>();
    check_range(spec, x);
    return x;
}

void check_value(const ParamSpec& spec, Json& value) {
    switch (spec.type) {
        case ParamType::integer: {
            if (value.is_number_float()) {
                const double x = value.get<double>();
                if (std::isfinite(x) && x == std::floor(x) && std::abs(x) < 9e15) value = static_cast<long long>(x);
            }
            if (!value.is_number_integer()) throw ParamError(spec.name, "expected an integer, got " + value.dump());
            check_range(spec, value.get<double>());
            return;
        }
        case ParamType::real:
            value = as_real(spec, value, "a number");
            return;
        case ParamType::boolean:
            if (!value.is_boolean()) throw ParamError(spec.name, "expected true or false, got " + value.dump());
            return;
        case ParamType::string:
            if (!value.is_string()) throw ParamError(spec.name, "expected a string, got " + value.dump());
            return;
        case ParamType::real_list:
            if (!value.is_array()) throw ParamError(spec.name, "expected a list of numbers, got " + value.dump());
            for (Json& x : value) x = as_real(spec, x, "a list of numbers");
            return;
        case ParamType::real_matrix: {
            const std::string expected = "a matrix (list of equal-length lists of numbers)";
            if (!value.is_array()) throw ParamError(spec.name, "expected " + expected);
            for (Json& row : value) {
                if (!row.is_array() || row.size() != value.front().size()) {
                    throw ParamError(spec.name, "expected " + expected);
                }
                for (Json& x : row) x = as_real(spec, x, expected);
            }
            return;
        }
        case ParamType::any: return;
    }
}

void walk(const ModelInfo& info, const std::map<std::string, const ParamSpec*>& specs,
          const std::vector<std::string>& names, Json& node, const std::string& prefix) {
    for (auto& [key, value] : node.items()) {
        const std::string dotted = prefix.empty() ? key : prefix + "." + key;
        if (const auto it = specs.find(dotted); it != specs.end()) {
            if (!value.is_null()) check_value(*it->second, value);
            continue;
        }
        const auto child = specs.lower_bound(dotted + ".");
        const bool has_children = child != specs.end() && child->first.rfind(dotted + ".", 0) == 0;
        if (has_children && value.is_object()) {
            walk(info, specs, names, value, dotted);
            continue;
        }
        // An open model takes free-form parameters outside the subtrees its schema declares.
        if (!has_children && info.open_params && prefix.empty()) continue;
        std::string reason = has_children ? "expected a mapping of parameters"
                                          : "unknown parameter of model '" + info.name + "'";
        if (!has_children) {
            if (auto guess = closest_match(dotted, names)) reason += " (did you mean '" + *guess + "'?)";
        }
        throw ParamError(dotted, reason);
    }
}

// The location to blame for a parameter: the value's own, else its closest written parent.
Location locate(const LocationMap& where, std::string key, const Location& fallback) {
    while (true) {
        if (const auto it = where.find(key); it != where.end()) return it->second;
        const auto dot = key.rfind('.');
        if (dot == std::string::npos) return fallback;
        key.resize(dot);
    }
}

}  // namespace

Params default_params(const ModelInfo& info) {
    Params params = Json::object();
    for (const ParamSpec& spec : info.params) {
        if (!spec.default_value.is_null()) set_path(params, spec.name, spec.default_value);
    }
    return params;
}

std::string job_key(const std::string& model, int model_version, const Params& params) {
    const Json canonical = {{"model", model}, {"model_version", model_version}, {"params", params}};
    return sha256_hex(canonical.dump());
}

void validate_params(const ModelInfo& info, Params& params) {
    std::map<std::string, const ParamSpec*> specs;
    std::vector<std::string> names;
    for (const ParamSpec& spec : info.params) {
        specs.emplace(spec.name, &spec);
        names.push_back(spec.name);
    }
    walk(info, specs, names, params, "");
}

std::vector<Job> expand(const SweepSpec& spec, const ModelRegistry& registry) {
    const ModelPtr model = registry.find(spec.model);
    if (!model) {
        std::string reason = "unknown model '" + spec.model + "'";
        if (auto guess = closest_match(spec.model, registry.names())) reason += " (did you mean '" + *guess + "'?)";
        throw SweepError(spec.model_location, "model", reason);
    }
    const ModelInfo& info = model->info();
    const Params defaults = default_params(info);

    std::vector<Job> jobs;
    struct First {
        const Block* block;
        std::int64_t index;
    };
    std::map<std::string, First> seen;  // key -> the job that had it first
    for (const Block& block : spec.blocks) {
        std::size_t count = 1;
        for (const Axis& axis : block.axes) count *= axis.points.size();
        std::vector<std::size_t> choice(block.axes.size(), 0);
        for (std::size_t n = 0; n < count; ++n) {
            // Mixed-radix counter: the last axis moves fastest, like nested for-loops.
            std::size_t rest = n;
            for (std::size_t a = block.axes.size(); a-- > 0;) {
                choice[a] = rest % block.axes[a].points.size();
                rest /= block.axes[a].points.size();
            }
            Job job;
            job.sweep = spec.name;
            job.block = block.name;
            job.index = static_cast<std::int64_t>(n);
            job.model = info.name;
            job.model_version = info.version;
            job.params = defaults;
            job.params.update(block.params, /*merge_objects=*/true);
            job.tags = block.tags;
            LocationMap where = block.where;
            for (std::size_t a = 0; a < block.axes.size(); ++a) {
                const AxisPoint& point = block.axes[a].points[choice[a]];
                for (const auto& [k, v] : point.sets.items()) set_path(job.params, k, v);
                for (const auto& [k, loc] : point.where) where[k] = loc;
                job.tags.update(point.tags);
            }
            for (const Derivation& d : block.derive) {
                const auto lookup = [&](const std::string& name) -> std::int64_t {
                    if (name == "index") return job.index;
                    const Json* value = find_path(job.params, name);
                    if (value == nullptr) {
                        std::vector<std::string> known = {"index"};
                        for (const ParamSpec& p : info.params) known.push_back(p.name);
                        std::string reason = "unknown name '" + name + "'";
                        if (auto guess = closest_match(name, known)) reason += " (did you mean '" + *guess + "'?)";
                        throw ExpressionError(reason, 0);
                    }
                    if (value->is_number_integer()) return value->get<std::int64_t>();
                    if (value->is_number_float() && value->get<double>() == std::floor(value->get<double>())) {
                        return static_cast<std::int64_t>(value->get<double>());
                    }
                    throw ExpressionError("'" + name + "' is " + value->dump() + ", not an integer", 0);
                };
                try {
                    set_path(job.params, d.key, d.expression.evaluate(lookup));
                } catch (const ExpressionError& e) {
                    throw SweepError(d.location, "derive." + d.key,
                                     std::string(e.what()) + " (job " + std::to_string(n) + ")");
                }
                where[d.key] = d.location;
            }
            try {
                validate_params(info, job.params);
                model->validate(job.params);
            } catch (const ParamError& e) {
                throw SweepError(locate(where, e.key, block.location), e.key, e.what());
            }
            job.key = job_key(job.model, job.model_version, job.params);
            job.cost = model->estimate_cost(job.params);
            job.timeout_seconds = spec.timeout_seconds.value_or(0.0);
            const auto [it, inserted] = seen.emplace(job.key, First{&block, job.index});
            if (!inserted) {
                auto describe = [](const std::string& b, std::int64_t i) {
                    return (b.empty() ? "" : "block '" + b + "' ") + "job " + std::to_string(i);
                };
                // Blame the value that made this job: the one on the fastest axis where it differs
                // from the first job with these parameters (or the block, across blocks).
                Location blame = block.location;
                std::string blame_key = "blocks";
                if (it->second.block == &block) {
                    std::vector<std::size_t> first(block.axes.size(), 0);
                    std::size_t rest = static_cast<std::size_t>(it->second.index);
                    for (std::size_t a = block.axes.size(); a-- > 0;) {
                        first[a] = rest % block.axes[a].points.size();
                        rest /= block.axes[a].points.size();
                    }
                    for (std::size_t a = block.axes.size(); a-- > 0;) {
                        if (first[a] != choice[a]) {
                            blame = block.axes[a].points[choice[a]].location;
                            blame_key = block.axes[a].name;
                            break;
                        }
                    }
                }
                throw SweepError(blame, blame_key,
                                 describe(it->second.block->name, it->second.index) + " and " +
                                     describe(block.name, job.index) +
                                     " have identical parameters (duplicate job " + job.key.substr(0, 12) + ")");
            }
            jobs.push_back(std::move(job));
        }
    }
    return jobs;
}

}  // namespace sr
