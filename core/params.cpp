#include "core/params.hpp"

namespace sr {

std::string_view to_string(ParamType type) {
    switch (type) {
        case ParamType::integer: return "integer";
        case ParamType::real: return "real";
        case ParamType::boolean: return "boolean";
        case ParamType::string: return "string";
        case ParamType::real_list: return "list of numbers";
        case ParamType::real_matrix: return "matrix of numbers";
        case ParamType::any: return "any";
    }
    return "?";
}

// Dotted paths name object members only; a json_pointer would also index into arrays ("a.0").
const Json* find_path(const Json& root, std::string_view dotted) {
    const Json* node = &root;
    while (!dotted.empty()) {
        const auto dot = dotted.find('.');
        const std::string part(dotted.substr(0, dot));
        if (!node->is_object()) return nullptr;
        const auto it = node->find(part);
        if (it == node->end()) return nullptr;
        node = &*it;
        dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
    }
    return node;
}

void set_path(Json& root, std::string_view dotted, Json value) {
    Json* node = &root;
    while (true) {
        const auto dot = dotted.find('.');
        const std::string part(dotted.substr(0, dot));
        if (!node->is_object()) *node = Json::object();
        if (dot == std::string_view::npos) {
            (*node)[part] = std::move(value);
            return;
        }
        node = &(*node)[part];
        dotted = dotted.substr(dot + 1);
    }
}

bool has(const Params& params, std::string_view dotted) {
    const Json* node = find_path(params, dotted);
    return node != nullptr && !node->is_null();
}

namespace {

const Json& require(const Params& params, std::string_view dotted) {
    const Json* node = find_path(params, dotted);
    if (node == nullptr || node->is_null()) {
        throw ParamError(std::string(dotted), "missing parameter");
    }
    return *node;
}

[[noreturn]] void wrong_type(std::string_view dotted, std::string_view expected, const Json& got) {
    throw ParamError(std::string(dotted), "expected " + std::string(expected) + ", got " + got.dump());
}

}  // namespace

double get_real(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (!node.is_number()) wrong_type(dotted, "a number", node);
    return node.get<double>();
}

long long get_int(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (node.is_number_integer()) return node.get<long long>();
    if (node.is_number_float()) {
        const double v = node.get<double>();
        if (v == static_cast<double>(static_cast<long long>(v))) return static_cast<long long>(v);
    }
    wrong_type(dotted, "an integer", node);
}

bool get_bool(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (!node.is_boolean()) wrong_type(dotted, "true or false", node);
    return node.get<bool>();
}

std::string get_string(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (!node.is_string()) wrong_type(dotted, "a string", node);
    return node.get<std::string>();
}

std::vector<double> get_real_list(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (!node.is_array()) wrong_type(dotted, "a list of numbers", node);
    std::vector<double> out;
    out.reserve(node.size());
    for (const Json& v : node) {
        if (!v.is_number()) wrong_type(dotted, "a list of numbers", node);
        out.push_back(v.get<double>());
    }
    return out;
}

std::vector<std::vector<double>> get_real_matrix(const Params& params, std::string_view dotted) {
    const Json& node = require(params, dotted);
    if (!node.is_array()) wrong_type(dotted, "a matrix (list of lists of numbers)", node);
    std::vector<std::vector<double>> rows;
    for (const Json& row : node) {
        if (!row.is_array()) wrong_type(dotted, "a matrix (list of lists of numbers)", node);
        std::vector<double>& out = rows.emplace_back();
        for (const Json& v : row) {
            if (!v.is_number()) wrong_type(dotted, "a matrix (list of lists of numbers)", node);
            out.push_back(v.get<double>());
        }
        if (out.size() != rows.front().size()) {
            throw ParamError(std::string(dotted), "matrix rows have different lengths");
        }
    }
    return rows;
}

}  // namespace sr
