#pragma once
// The `exec` parameter subtree of a job (written in a sweep file as the keys command, workdir, env,
// outputs and payload_format), checked and turned into what the exec model needs to start a program.
#include "core/params.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace sr::exec {

// One argv element (or env value, or workdir) split into literal text and placeholders.
struct Template {
    struct Part {
        bool placeholder = false;
        std::string text;  // literal text, or the placeholder's name ("output_file", "param:lr")
    };
    std::vector<Part> parts;
    bool uses(const std::string& name) const;
    bool uses_path() const;  // {job_dir}, {output_file}, {params_file} or {params_yaml}
};

// Throws ParamError(key, reason) for an unknown placeholder or an unbalanced brace.
Template parse_template(const std::string& text, const std::string& key);

enum class Format { json, hdf5, npz };
std::string extension(Format format);  // ".json", ".h5", ".npz"

struct Config {
    std::vector<Template> command;
    std::vector<std::string> command_text;  // as written, for messages
    std::string workdir;                    // "" = the job folder; may start with {job_dir}
    std::map<std::string, Template> env;
    Format format = Format::json;
    std::vector<std::string> required_metrics;
    std::vector<std::string> required_arrays;
    std::vector<std::string> files;  // further result files, relative to the job folder
};

// The parameters the program sees: everything but the reserved `exec` subtree.
Params user_params(const Params& params);

// Checks the `exec` subtree of `params` and every placeholder against the job's own parameters.
// Throws ParamError naming "exec.command[2]", "exec.env.NAME", ... or the offending parameter.
Config parse_config(const Params& params);

// Values of the placeholders for one run.
struct Values {
    std::filesystem::path job_dir;
    std::filesystem::path params_file;  // JSON
    std::filesystem::path params_yaml;
    std::filesystem::path output_file;
    std::string job_key;
    long long index = 0;
};

// Text of a parameter as a program argument: strings as they are, numbers and booleans as JSON,
// lists and mappings as compact JSON.
std::string param_text(const Json& value);

std::string substitute(const Template& t, const Params& params, const Values& values);

}  // namespace sr::exec
