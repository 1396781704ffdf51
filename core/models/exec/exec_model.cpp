#include "core/models/exec/exec_model.hpp"

#include "core/models/exec/exec_config.hpp"
#include "core/models/exec/outputs.hpp"
#include "core/process.hpp"
#include "core/signal_name.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>

namespace sr {
namespace fs = std::filesystem;
namespace {

constexpr auto kill_grace = std::chrono::milliseconds(2000);

std::string yaml_number(const Json& v) {
    if (v.is_number_integer() || v.is_number_unsigned()) return v.dump();
    const double x = v.get<double>();
    if (std::isnan(x)) return ".nan";
    if (std::isinf(x)) return x > 0 ? ".inf" : "-.inf";
    std::string text = v.dump();
    const auto e = text.find_first_of("eE");
    if (text.find('.') == std::string::npos) text.insert(e == std::string::npos ? text.size() : e, ".0");
    return text;
}

std::string yaml_key(const std::string& key) {
    static const std::set<std::string> special = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"};
    std::string lower = key;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const bool plain = !key.empty() && (std::isalpha(static_cast<unsigned char>(key[0])) || key[0] == '_') &&
                       !special.count(lower) && std::all_of(key.begin(), key.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
                       });
    return plain ? key : Json(key).dump();
}

std::string yaml_scalar(const Json& v) {
    if (v.is_string()) return v.dump();  // JSON double-quoted strings are YAML double-quoted strings
    if (v.is_number()) return yaml_number(v);
    if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
    return "null";
}

bool is_scalar(const Json& v) { return !v.is_object() && !v.is_array(); }

std::string yaml_flow(const Json& v) {
    if (is_scalar(v)) return yaml_scalar(v);
    std::string out = v.is_array() ? "[" : "{";
    bool first = true;
    for (const auto& [k, x] : v.items()) {
        if (!first) out += ", ";
        first = false;
        if (v.is_object()) out += yaml_key(k) + ": ";
        out += yaml_flow(x);
    }
    return out + (v.is_array() ? "]" : "}");
}

void yaml_block(std::string& out, const Json& v, const std::string& pad) {
    for (const auto& [k, x] : v.items()) {
        out += pad + (v.is_object() ? yaml_key(k) + ":" : "-");
        const bool nested = (x.is_object() && !x.empty()) ||
                            (x.is_array() && !std::all_of(x.begin(), x.end(), is_scalar));
        if (nested) {
            out += "\n";
            yaml_block(out, x, pad + "  ");
        } else {
            out += " " + yaml_flow(x) + "\n";
        }
    }
}

void write_text(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw std::runtime_error(path.string() + ": cannot write");
}

std::string log_tails(const fs::path& dir) {
    std::string out;
    const std::string err = tail(dir / "stderr.log", 20, 2000);
    const std::string std_out = tail(dir / "stdout.log", 10, 1000);
    if (!err.empty()) out += "\n--- stderr.log (last lines) ---\n" + err;
    if (!std_out.empty()) out += "\n--- stdout.log (last lines) ---\n" + std_out;
    return out + "\n(logs in " + dir.string() + ")";
}

class ExecModel final : public Model {
public:
    const ModelInfo& info() const override { return info_; }

    // Besides the keys and placeholders: a program that cannot be found fails the whole sweep before
    // anything runs, not every job one by one. (A name with a placeholder, or a relative path,
    // resolves only per job, in its folder.)
    void validate(const Params& params) const override {
        const exec::Config config = exec::parse_config(params);
        const std::string& program = config.command_text.front();
        if (program.find_first_of("{}") != std::string::npos) return;
        if (program.find('/') == std::string::npos) {
            std::string path;
            if (config.env.count("PATH") != 0) {
                path = params.at("exec").at("env").at("PATH").get<std::string>();
                if (path.find_first_of("{}") != std::string::npos) return;
            } else if (const char* inherited = std::getenv("PATH")) {
                path = inherited;
            }
            // Every job of a sweep names the same program: look it up once, not once per job.
            const std::string lookup = program + '\n' + path;
            {
                std::lock_guard lock(found_mutex_);
                if (found_programs_.count(lookup) != 0) return;
            }
            try {
                program_path(program, {"PATH=" + path});
            } catch (const std::runtime_error& e) {
                throw ParamError("exec.command[0]", e.what());
            }
            std::lock_guard lock(found_mutex_);
            found_programs_.insert(lookup);
        } else if (fs::path(program).is_absolute() && ::access(program.c_str(), X_OK) != 0) {
            throw ParamError("exec.command[0]", "cannot start '" + program + "': " + std::strerror(errno));
        }
    }

    Result run(const Params& params, RunContext& context) const override {
        const exec::Config config = exec::parse_config(params);
        const fs::path dir = context.work_dir();
        if (dir.empty()) throw std::runtime_error("model 'exec' needs a job folder (RunContext::work_dir)");
        fs::create_directories(dir);

        exec::Values values;
        values.job_dir = dir;
        values.params_file = dir / "params.json";
        values.params_yaml = dir / "params.yaml";
        values.output_file = dir / ("output" + exec::extension(config.format));
        values.job_key = context.job().key.empty() ? dir.filename().string() : context.job().key;
        values.index = context.job().index;

        // A previous attempt (killed, failed) may have left results behind: they must not count.
        std::error_code ec;
        fs::remove(values.output_file, ec);
        for (const std::string& f : config.files) fs::remove(dir / f, ec);

        const Params user = exec::user_params(params);
        write_text(values.params_file, user.dump(2) + "\n");
        write_text(values.params_yaml, exec::to_yaml(user));

        ProcessSpec spec;
        for (const exec::Template& t : config.command) spec.argv.push_back(exec::substitute(t, user, values));
        std::vector<std::pair<std::string, std::string>> env = {
            {"SWEEP_RUNNER_PARAMS_FILE", values.params_file.string()},
            {"SWEEP_RUNNER_PARAMS_YAML", values.params_yaml.string()},
            {"SWEEP_RUNNER_OUTPUT_FILE", values.output_file.string()},
            {"SWEEP_RUNNER_JOB_DIR", dir.string()},
            {"SWEEP_RUNNER_JOB_KEY", values.job_key},
            {"SWEEP_RUNNER_INDEX", std::to_string(values.index)},
            {"SWEEP_RUNNER_CPUS", std::to_string(context.job().cpus)},
        };
        // The job's cores (resources.cpus, default 1) for the usual thread pools, so that jobs side
        // by side do not each start one thread per core of the machine; the sweep's env overrides.
        for (const char* pool : {"OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"}) {
            env.emplace_back(pool, std::to_string(context.job().cpus));
        }
        for (const auto& [name, t] : config.env) env.emplace_back(name, exec::substitute(t, user, values));
        spec.env = environment_with(env);
        if (config.workdir.empty()) {
            spec.cwd = dir;
        } else if (config.workdir.rfind("{job_dir}", 0) == 0) {
            std::string rest = config.workdir.substr(9);
            while (!rest.empty() && rest.front() == '/') rest.erase(0, 1);
            spec.cwd = (dir / rest).lexically_normal();
            fs::create_directories(spec.cwd);
        } else {
            spec.cwd = fs::path(config.workdir).is_absolute() ? fs::path(config.workdir) : dir / config.workdir;
        }
        spec.stdout_path = dir / "stdout.log";
        spec.stderr_path = dir / "stderr.log";
        write_text(dir / "command.json",
                   Json{{"argv", spec.argv}, {"cwd", spec.cwd.string()}, {"env", Json(std::map<std::string, std::string>(env.begin(), env.end()))}}.dump(2) + "\n");

        const auto should_stop = [&context] {
            try {
                context.check_cancelled();
            } catch (const JobCancelled& e) {
                return e.reason == JobCancelled::Reason::timeout ? StopReason::timeout
                                                                 : StopReason::stop_requested;
            }
            return StopReason::none;
        };
        const ProcessResult ran = run_process(spec, should_stop, kill_grace);

        const std::string program = "'" + config.command_text.front() + "'";
        if (ran.stopped == StopReason::stop_requested) {
            throw JobCancelled(JobCancelled::Reason::stop_requested, "stopped on request (" + program + " killed)");
        }
        if (ran.stopped == StopReason::timeout) {
            throw std::runtime_error("timeout: " + program + " was still running at the job's deadline (after " +
                                     Json(std::round(ran.stopped_after * 10) / 10).dump() +
                                     " s); its process group was killed (SIGTERM, then SIGKILL after " +
                                     std::to_string(kill_grace.count() / 1000) + " s)" + log_tails(dir));
        }
        if (ran.signaled) {
            throw std::runtime_error(program + " was killed by signal " + signal_name(ran.exit_code) + log_tails(dir));
        }
        if (ran.exit_code != 0) {
            throw std::runtime_error(program + " exited with status " + std::to_string(ran.exit_code) + log_tails(dir));
        }

        Result result;
        try {
            // With outputs.files the program may write only those (files of its own making); then
            // {output_file} is optional, else it is the result.
            if (fs::exists(values.output_file)) {
                exec::read_result_file(values.output_file, result);
            } else if (config.files.empty()) {
                throw std::runtime_error(program + " exited 0 but wrote no output file " + values.output_file.string());
            }
            for (const std::string& f : config.files) {
                if (!fs::exists(dir / f)) {
                    throw std::runtime_error(program + " exited 0 but wrote no " + f + " (listed in outputs.files)");
                }
                exec::read_result_file(dir / f, result);
            }
            for (const std::string& m : config.required_metrics) {
                if (!result.metrics.count(m)) throw std::runtime_error("the program reported no metric '" + m + "' (required by outputs.metrics)");
            }
            for (const std::string& a : config.required_arrays) {
                if (!result.arrays.count(a)) throw std::runtime_error("the program reported no array '" + a + "' (required by outputs.arrays)");
            }
            for (const auto& [name, value] : result.metrics) {
                if (!std::isfinite(value)) {
                    throw std::runtime_error("metric '" + name + "' is " + (std::isnan(value) ? "NaN" : "infinite") +
                                             " (in " + values.output_file.filename().string() + " or outputs.files)");
                }
            }
        } catch (const std::runtime_error& e) {
            throw std::runtime_error(e.what() + log_tails(dir));
        }
        return result;
    }

private:
    mutable std::mutex found_mutex_;
    mutable std::set<std::string> found_programs_;  // program + PATH pairs validate() has found
    ModelInfo info_ = [] {
        ModelInfo info;
        info.name = "exec";
        info.version = 1;
        info.doc = "Runs an external program per job (sweep keys command, workdir, env, outputs, payload_format, "
                   "hash_files; "
                   "any other parameters are the program's own). See docs/exec.md.";
        info.params = {
            {"exec.command", ParamType::any, nullptr, {}, {}, "argv list with placeholders such as {params_file}, {output_file}"},
            {"exec.workdir", ParamType::string, nullptr, {}, {}, "folder the program runs in (default: the job folder)"},
            {"exec.env", ParamType::any, nullptr, {}, {}, "environment variables to set (values may use placeholders)"},
            {"exec.outputs", ParamType::any, nullptr, {}, {}, "required metrics/arrays and further result files"},
            {"exec.payload_format", ParamType::string, nullptr, {}, {}, "format of {output_file}: json (default), hdf5 or npz"},
            {"exec.file_hashes", ParamType::any, nullptr, {}, {}, "SHA-256 of the sweep's hash_files (part of the job key)"},
        };
        info.open_params = true;
        return info;
    }();
};

}  // namespace

namespace exec {
std::string to_yaml(const Json& params) {
    if (!params.is_object() || params.empty()) return "{}\n";
    std::string out;
    yaml_block(out, params, "");
    return out;
}
}  // namespace exec

ModelPtr make_exec_model() { return std::make_shared<ExecModel>(); }

}  // namespace sr
