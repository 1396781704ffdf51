#pragma once
// Parameters are a nested JSON object (the shape of a published exp.yaml); models declare a flat
// schema of dotted names ("seed.sim") so sweeps can be validated before anything runs.
#include <nlohmann/json.hpp>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sr {

using Json = nlohmann::json;
using Params = nlohmann::json;

enum class ParamType {
    integer,
    real,
    boolean,
    string,
    real_list,    // flat list of numbers
    real_matrix,  // list of equal-length lists of numbers
    any,          // free-form subtree, checked by the model itself
};

std::string_view to_string(ParamType type);

struct ParamSpec {
    std::string name;  // dotted path, e.g. "stdp.ws.a_plus"
    ParamType type = ParamType::real;
    Json default_value;  // null: optional, absent unless given
    std::optional<double> min;
    std::optional<double> max;
    std::string doc;
};

// Raised for a bad parameter value; `key` is the dotted name.
struct ParamError : std::runtime_error {
    ParamError(std::string key, const std::string& reason)
        : std::runtime_error(reason), key(std::move(key)) {}
    std::string key;
};

// Dotted-path access into nested parameter objects.
const Json* find_path(const Json& root, std::string_view dotted);
void set_path(Json& root, std::string_view dotted, Json value);

// Typed getters that throw ParamError naming the key when missing or of the wrong type.
double get_real(const Params& params, std::string_view dotted);
long long get_int(const Params& params, std::string_view dotted);
bool get_bool(const Params& params, std::string_view dotted);
std::string get_string(const Params& params, std::string_view dotted);
std::vector<double> get_real_list(const Params& params, std::string_view dotted);
// Row-major matrix with its row count; throws unless rectangular.
std::vector<std::vector<double>> get_real_matrix(const Params& params, std::string_view dotted);
bool has(const Params& params, std::string_view dotted);

}  // namespace sr
