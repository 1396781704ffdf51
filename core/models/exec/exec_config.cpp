#include "core/models/exec/exec_config.hpp"

#include <algorithm>
#include <cctype>
#include <set>

namespace sr::exec {
namespace fs = std::filesystem;
namespace {

const std::vector<std::string> fixed_placeholders = {"params_file", "params_yaml", "output_file",
                                                     "job_key",     "job_dir",     "index"};
const std::vector<std::string> path_placeholders = {"job_dir", "output_file", "params_file", "params_yaml"};

std::string known_list() {
    std::string out;
    for (const std::string& p : fixed_placeholders) out += "{" + p + "}, ";
    return out + "{param:dotted.key}";
}

bool valid_param_key(const std::string& key) {
    if (key.empty() || key.front() == '.' || key.back() == '.' || key.find("..") != std::string::npos) return false;
    return std::all_of(key.begin(), key.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

bool has_dotdot(const fs::path& path) {
    return std::any_of(path.begin(), path.end(), [](const fs::path& part) { return part == ".."; });
}

const Json& require_string(const Json& value, const std::string& key) {
    if (!value.is_string()) throw ParamError(key, "expected a string, got " + value.dump());
    if (value.get_ref<const std::string&>().find('\0') != std::string::npos) {
        throw ParamError(key, "contains a NUL character");
    }
    return value;
}

std::vector<std::string> string_list(const Json& value, const std::string& key) {
    if (!value.is_array()) throw ParamError(key, "expected a list of strings, got " + value.dump());
    std::vector<std::string> out;
    for (std::size_t i = 0; i < value.size(); ++i) {
        out.push_back(require_string(value[i], key + "[" + std::to_string(i) + "]").get<std::string>());
    }
    return out;
}

// Every {param:k} of `t` must name a parameter of the job; in an element that also builds a path in
// the job folder ("{job_dir}/{param:name}.csv") the value must be a plain name, so that no parameter
// value can lead a path out of the results folder.
void check_params(const Template& t, const Params& user, const std::string& key) {
    const bool path = t.uses_path();
    for (const Template::Part& part : t.parts) {
        if (!part.placeholder || part.text.rfind("param:", 0) != 0) continue;
        const std::string name = part.text.substr(6);
        const Json* value = find_path(user, name);
        if (value == nullptr) {
            throw ParamError(key, "{" + part.text + "}: this job has no parameter '" + name + "'");
        }
        const std::string text = param_text(*value);
        if (text.find('\0') != std::string::npos) throw ParamError(name, "contains a NUL character");
        if (path && (text.empty() || text == "." || text == ".." || text.find_first_of("/\\") != std::string::npos)) {
            throw ParamError(name, "value '" + text + "' cannot be part of a path in the job folder (" + key +
                                       "): it must be a plain name, without '/' and not '..'");
        }
    }
}

}  // namespace

bool Template::uses(const std::string& name) const {
    return std::any_of(parts.begin(), parts.end(), [&](const Part& p) { return p.placeholder && p.text == name; });
}

bool Template::uses_path() const {
    return std::any_of(path_placeholders.begin(), path_placeholders.end(),
                       [&](const std::string& name) { return uses(name); });
}

Template parse_template(const std::string& text, const std::string& key) {
    Template t;
    auto literal = [&](char c) {
        if (t.parts.empty() || t.parts.back().placeholder) t.parts.push_back({false, {}});
        t.parts.back().text += c;
    };
    for (std::size_t i = 0; i < text.size();) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {
            literal(c);
            i += 2;
            continue;
        }
        if (c == '}') {
            throw ParamError(key, "unmatched '}' at character " + std::to_string(i + 1) + " of '" + text +
                                      "' (write '}}' for a literal brace)");
        }
        if (c != '{') {
            literal(c);
            ++i;
            continue;
        }
        const std::size_t end = text.find('}', i);
        if (end == std::string::npos) {
            throw ParamError(key, "unclosed '{' at character " + std::to_string(i + 1) + " of '" + text +
                                      "' (write '{{' for a literal brace)");
        }
        const std::string name = text.substr(i + 1, end - i - 1);
        const bool known = std::find(fixed_placeholders.begin(), fixed_placeholders.end(), name) !=
                               fixed_placeholders.end() ||
                           (name.rfind("param:", 0) == 0 && valid_param_key(name.substr(6)));
        if (!known) {
            throw ParamError(key, "unknown placeholder '{" + name + "}' (known: " + known_list() + ")");
        }
        t.parts.push_back({true, name});
        i = end + 1;
    }
    return t;
}

std::string extension(Format format) {
    switch (format) {
        case Format::json: return ".json";
        case Format::hdf5: return ".h5";
        case Format::npz: return ".npz";
    }
    return ".json";
}

Params user_params(const Params& params) {
    Params user = params;
    if (user.is_object()) user.erase("exec");
    return user;
}

std::string param_text(const Json& value) {
    if (value.is_string()) return value.get<std::string>();
    return value.dump();
}

Config parse_config(const Params& params) {
    const Json* exec = find_path(params, "exec");
    if (exec == nullptr || !exec->is_object() || !exec->contains("command")) {
        throw ParamError("exec.command", "model 'exec' needs a command: an argv list such as "
                                         "[\"python3\", \"train.py\", \"{params_file}\", \"{output_file}\"]");
    }
    const Params user = user_params(params);
    Config config;
    for (const auto& [k, v] : exec->items()) {
        // file_hashes: the sweep's hash_files, there only to make the job key follow the files.
        static const std::set<std::string> allowed = {"command", "workdir", "env", "outputs", "payload_format",
                                                      "file_hashes"};
        if (!allowed.count(k)) {
            throw ParamError("exec." + k, "unknown key of model 'exec' (expected command, workdir, env, "
                                          "outputs, payload_format, hash_files)");
        }
    }

    const Json& command = exec->at("command");
    config.command_text = string_list(command, "exec.command");
    if (config.command_text.empty() || config.command_text.front().empty()) {
        throw ParamError("exec.command", "the command needs a program as its first element");
    }
    for (std::size_t i = 0; i < config.command_text.size(); ++i) {
        const std::string key = "exec.command[" + std::to_string(i) + "]";
        config.command.push_back(parse_template(config.command_text[i], key));
        check_params(config.command.back(), user, key);
    }

    if (const auto it = exec->find("workdir"); it != exec->end() && !it->is_null()) {
        std::string dir = require_string(*it, "exec.workdir").get<std::string>();
        const std::string prefix = "{job_dir}";
        const bool in_job = dir.rfind(prefix, 0) == 0;
        const std::string rest = in_job ? dir.substr(prefix.size()) : dir;
        if (rest.find_first_of("{}") != std::string::npos) {
            throw ParamError("exec.workdir", "the only placeholder allowed here is a leading {job_dir}");
        }
        if ((in_job || fs::path(dir).is_relative()) && has_dotdot(rest)) {
            throw ParamError("exec.workdir", "'" + dir + "' would leave the job folder");
        }
        config.workdir = dir;
    }

    if (const auto it = exec->find("env"); it != exec->end() && !it->is_null()) {
        if (!it->is_object()) throw ParamError("exec.env", "expected a mapping of variable names to strings");
        for (const auto& [name, value] : it->items()) {
            const std::string key = "exec.env." + name;
            const bool valid_name = !name.empty() && !std::isdigit(static_cast<unsigned char>(name[0])) &&
                                    std::all_of(name.begin(), name.end(), [](char c) {
                                        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                                    });
            if (!valid_name) throw ParamError(key, "not a valid environment variable name");
            Template t = parse_template(require_string(value, key).get<std::string>(), key);
            check_params(t, user, key);
            config.env.emplace(name, std::move(t));
        }
    }

    if (const auto it = exec->find("payload_format"); it != exec->end() && !it->is_null()) {
        const std::string format = require_string(*it, "exec.payload_format").get<std::string>();
        if (format == "json") config.format = Format::json;
        else if (format == "hdf5" || format == "h5") config.format = Format::hdf5;
        else if (format == "npz") config.format = Format::npz;
        else throw ParamError("exec.payload_format", "expected json, hdf5 or npz, got '" + format + "'");
    }

    if (const auto it = exec->find("outputs"); it != exec->end() && !it->is_null()) {
        if (!it->is_object()) throw ParamError("exec.outputs", "expected a mapping with metrics, arrays and/or files");
        for (const auto& [name, value] : it->items()) {
            const std::string key = "exec.outputs." + name;
            if (name == "metrics") config.required_metrics = string_list(value, key);
            else if (name == "arrays") config.required_arrays = string_list(value, key);
            else if (name == "files") config.files = string_list(value, key);
            else throw ParamError(key, "unknown key (expected metrics, arrays or files)");
        }
        for (std::size_t i = 0; i < config.files.size(); ++i) {
            const std::string key = "exec.outputs.files[" + std::to_string(i) + "]";
            const fs::path file = config.files[i];
            if (file.empty() || file.is_absolute() || has_dotdot(file)) {
                throw ParamError(key, "'" + config.files[i] +
                                          "' must be a path inside the job folder (relative, without '..')");
            }
            if (config.files[i].find_first_of("{}") != std::string::npos) {
                throw ParamError(key, "placeholders are not allowed in result file names");
            }
            const std::string ext = file.extension().string();
            if (ext != ".json" && ext != ".h5" && ext != ".hdf5" && ext != ".npz" && ext != ".npy") {
                throw ParamError(key, "unsupported result file type '" + ext +
                                          "' (expected .json, .h5, .hdf5, .npz or .npy)");
            }
        }
    }
    return config;
}

std::string substitute(const Template& t, const Params& params, const Values& values) {
    std::string out;
    for (const Template::Part& part : t.parts) {
        if (!part.placeholder) out += part.text;
        else if (part.text == "params_file") out += values.params_file.string();
        else if (part.text == "params_yaml") out += values.params_yaml.string();
        else if (part.text == "output_file") out += values.output_file.string();
        else if (part.text == "job_dir") out += values.job_dir.string();
        else if (part.text == "job_key") out += values.job_key;
        else if (part.text == "index") out += std::to_string(values.index);
        else {
            const std::string name = part.text.substr(6);
            const Json* value = find_path(params, name);
            if (value == nullptr) throw ParamError(name, "missing parameter");
            out += param_text(*value);
        }
    }
    return out;
}

}  // namespace sr::exec
