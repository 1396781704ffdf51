#include "scheduler/expansion.hpp"

#include "core/limits.hpp"
#include "core/sha256.hpp"
#include "scheduler/evolution/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>
#include <sstream>
#include <unordered_map>

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

// A model's schema as a lookup table by dotted name. Expansion checks every job against it, so it
// is built once per sweep, not once per job.
class ParamChecker {
public:
    explicit ParamChecker(const ModelInfo& info) : info_(info) {
        for (const ParamSpec& spec : info.params) specs_.emplace(spec.name, &spec);
    }

    void check(Params& params) const { walk(params, ""); }

private:
    void walk(Json& node, const std::string& prefix) const {
        for (auto& [key, value] : node.items()) {
            const std::string dotted = prefix.empty() ? key : prefix + "." + key;
            if (const auto it = specs_.find(dotted); it != specs_.end()) {
                if (!value.is_null()) check_value(*it->second, value);
                continue;
            }
            const auto child = specs_.lower_bound(dotted + ".");
            const bool has_children = child != specs_.end() && child->first.rfind(dotted + ".", 0) == 0;
            if (has_children && value.is_object()) {
                walk(value, dotted);
                continue;
            }
            // An open model takes free-form parameters outside the subtrees its schema declares.
            if (!has_children && info_.open_params && prefix.empty()) continue;
            std::string reason = has_children ? "expected a mapping of parameters"
                                              : "unknown parameter of model '" + info_.name + "'";
            if (!has_children) {
                std::vector<std::string> names;
                for (const ParamSpec& spec : info_.params) names.push_back(spec.name);
                if (auto guess = closest_match(dotted, names)) reason += " (did you mean '" + *guess + "'?)";
            }
            throw ParamError(dotted, reason);
        }
    }

    const ModelInfo& info_;
    std::map<std::string, const ParamSpec*> specs_;
};

// JSON, and so the index, the key and the packed job, has no infinities or NaN (they would become
// null), so parameters holding them are refused rather than silently changed.
void check_finite(const Json& node, const std::string& prefix) {
    if (node.is_number_float() && !std::isfinite(node.get<double>())) {
        const double x = node.get<double>();
        const std::string yaml = std::isnan(x) ? ".nan" : x > 0 ? ".inf" : "-.inf";
        throw ParamError(prefix, yaml + " cannot be stored: parameters are kept as JSON, which has no "
                                 "infinities or NaN");
    }
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) check_finite(value, prefix.empty() ? key : prefix + "." + key);
    } else if (node.is_array()) {
        for (const Json& value : node) check_finite(value, prefix);
    }
}

// The first 64 bits of a job key (hex SHA-256) as a number.
std::uint64_t key_prefix(const std::string& key) {
    std::uint64_t value = 0;
    std::from_chars(key.data(), key.data() + 16, value, 16);
    return value;
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

std::string job_key(const std::string& model, int model_version, const Params& params) {
    return job_key_of_text(model, model_version, params.dump());
}

std::string job_key_of_text(const std::string& model, int model_version, std::string_view params_json) {
    // The dump of {"model": ..., "model_version": ..., "params": ...} with its keys in the sorted
    // order nlohmann::json writes them, composed directly so the parameters are not copied.
    std::string canonical = R"({"model":)" + Json(model).dump() + R"(,"model_version":)" +
                            std::to_string(model_version) + R"(,"params":)";
    canonical.append(params_json);
    canonical += '}';
    return sha256_hex(canonical);
}

void validate_params(const ModelInfo& info, Params& params) { ParamChecker(info).check(params); }

std::vector<Job> expand(const SweepSpec& spec, const ModelRegistry& registry) {
    std::vector<Job> jobs;
    for (const PackedJob& job : expand_packed(spec, registry)) jobs.push_back(unpack(job));
    return jobs;
}

std::vector<PackedJob> expand_packed(const SweepSpec& spec, const ModelRegistry& registry) {
    const ModelPtr model = registry.find(spec.model);
    if (!model) {
        std::string reason = "unknown model '" + spec.model + "'";
        if (auto guess = closest_match(spec.model, registry.names())) reason += " (did you mean '" + *guess + "'?)";
        throw SweepError(spec.model_location, "model", reason);
    }
    const ModelInfo& info = model->info();
    const Params defaults = default_params(info);
    const ParamChecker checker(info);

    // Sized up front: growing a vector of a million jobs would briefly hold it twice. Counted with
    // overflow checks: 16 axes of 16 values wrap a 64-bit count to 0.
    std::size_t total = 0;
    for (const Block& block : spec.blocks) {
        std::size_t count = 1;
        bool overflow = false;
        for (const Axis& axis : block.axes) overflow = overflow || __builtin_mul_overflow(count, axis.points.size(), &count);
        overflow = overflow || __builtin_add_overflow(total, count, &total);
        if (overflow || total > limits::max_jobs) {
            throw SweepError(block.location, block.name.empty() ? "grid" : "blocks." + block.name,
                             "the sweep has more than " + std::to_string(limits::max_jobs) +
                                 " jobs, the most one sweep may have (split it into several sweeps)");
        }
    }
    std::vector<PackedJob> jobs;
    jobs.reserve(total);
    // Finds duplicate jobs: the first 64 bits of each key -> positions in `jobs` with that prefix.
    // Much smaller than a set of the 64-character keys themselves (about 40 vs 170 MB per million
    // jobs); full keys are compared on a match.
    std::unordered_multimap<std::uint64_t, std::size_t> seen;
    seen.reserve(total);
    for (const Block& block : spec.blocks) {
        const std::size_t block_start = jobs.size();  // this block's first job in `jobs`
        Params base = defaults;
        base.update(block.params, /*merge_objects=*/true);
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
            job.params = base;
            job.tags = block.tags;
            for (std::size_t a = 0; a < block.axes.size(); ++a) {
                const AxisPoint& point = block.axes[a].points[choice[a]];
                for (const auto& [k, v] : point.sets.items()) set_path(job.params, k, v);
                job.tags.update(point.tags);
            }
            // Where each parameter of this job was written; only an error needs it, so it is
            // assembled then rather than for every job.
            const auto where = [&] {
                LocationMap map = block.where;
                for (std::size_t a = 0; a < block.axes.size(); ++a) {
                    for (const auto& [k, loc] : block.axes[a].points[choice[a]].where) map[k] = loc;
                }
                for (const Derivation& d : block.derive) map[d.key] = d.location;
                return map;
            };
            for (const Derivation& d : block.derive) {
                const auto lookup = [&](const std::string& name) -> Expression::Number {
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
                    if (value->is_number_float()) return value->get<double>();
                    throw ExpressionError("'" + name + "' is " + value->dump() + ", not a number", 0);
                };
                try {
                    const Expression::Number result = d.expression.evaluate(lookup);
                    Json value = std::visit([](auto v) { return Json(v); }, result);
                    // A whole parameter (a seed) takes a real result that is whole (seed.base * 1.5
                    // of an even base), and refuses one that is not, before the model sees it.
                    const auto spec = std::find_if(info.params.begin(), info.params.end(),
                                                   [&](const ParamSpec& p) { return p.name == d.key; });
                    if (spec != info.params.end() && spec->type == ParamType::integer && value.is_number_float()) {
                        const double x = value.get<double>();
                        if (x != std::floor(x) || std::abs(x) > 9.007199254740992e15) {
                            throw ExpressionError("gives " + value.dump() + ", but " + d.key +
                                                      " is a whole number (// divides whole numbers)", 0);
                        }
                        value = static_cast<std::int64_t>(x);
                    }
                    set_path(job.params, d.key, std::move(value));
                } catch (const ExpressionError& e) {
                    throw SweepError(d.location, "derive." + d.key,
                                     std::string(e.what()) + " (job " + std::to_string(n) + ")");
                }
            }
            try {
                // An evolution's settings are checked here and its rules per individual later; the
                // model checks the rest with a placeholder rule ("0") in each rule parameter.
                Json settings;
                if (spec.evolution) {
                    settings = std::move(job.params["evolution"]);
                    job.params.erase("evolution");
                    for (const std::string& rule : evolution::check_rule_params(info, settings)) {
                        set_path(job.params, rule, "0");
                    }
                }
                checker.check(job.params);
                check_finite(job.params, "");
                model->validate(job.params);
                if (spec.evolution) job.params["evolution"] = std::move(settings);
            } catch (const ParamError& e) {
                throw SweepError(locate(where(), e.key, block.location), e.key, e.what());
            }
            std::string params_json = job.params.dump();
            job.key = job_key_of_text(job.model, job.model_version, params_json);
            job.cost = model->estimate_cost(job.params);
            job.timeout_seconds = spec.timeout_seconds.value_or(0.0);
            job.cpus = block.cpus;
            const std::uint64_t prefix = key_prefix(job.key);
            const auto [same_begin, same_end] = seen.equal_range(prefix);
            const auto same = std::find_if(same_begin, same_end, [&](const auto& entry) {
                return jobs[entry.second].key == job.key;
            });
            if (same != same_end) {
                const PackedJob& first_job = jobs[same->second];
                auto describe = [](const std::string& b, std::int64_t i) {
                    return (b.empty() ? "" : "block '" + b + "' ") + "job " + std::to_string(i);
                };
                // Blame the value that made this job: the one on the fastest axis where it differs
                // from the first job with these parameters (or the block, across blocks).
                Location blame = block.location;
                std::string blame_key = "blocks";
                if (same->second >= block_start) {
                    std::vector<std::size_t> first(block.axes.size(), 0);
                    std::size_t rest = static_cast<std::size_t>(first_job.index);
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
                                 describe(first_job.block, first_job.index) + " and " +
                                     describe(block.name, job.index) +
                                     " have identical parameters (duplicate job " + job.key.substr(0, 12) + ")");
            }
            seen.emplace(prefix, jobs.size());
            jobs.push_back({std::move(job.sweep), job.index, std::move(job.block), std::move(job.key),
                            std::move(job.model), job.model_version, std::move(params_json), job.tags.dump(),
                            job.cost, job.timeout_seconds, job.attempts, 0, job.cpus});
        }
    }
    return jobs;
}

}  // namespace sr
