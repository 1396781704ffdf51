#include "slurm/slurm.hpp"

#include <cstdlib>
#include <regex>
#include <stdexcept>

namespace sr::slurm {
namespace {

std::string trim(std::string s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
    std::size_t i = 0;
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    return s.substr(i);
}

}  // namespace

std::optional<int> site_max_array_size() {
    CommandResult r;
    try {
        r = run_command({"scontrol", "show", "config"});
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (r.exit_code != 0) return std::nullopt;
    static const std::regex line(R"(MaxArraySize\s*=\s*(\d+))");
    std::smatch m;
    if (!std::regex_search(r.out, m, line)) return std::nullopt;
    return std::stoi(m[1]);
}

std::string sbatch(const std::filesystem::path& script, const std::vector<std::string>& dependencies) {
    std::vector<std::string> argv = {"sbatch", "--parsable"};
    if (!dependencies.empty()) {
        std::string d = "--dependency=afterany";
        for (const std::string& id : dependencies) d += ':' + id;
        argv.push_back(d);
    }
    argv.push_back(script.string());
    const CommandResult r = run_command(argv);
    if (r.exit_code == 127) throw std::runtime_error("sbatch not found (is this a Slurm login node?)");
    const std::string out = trim(r.out);
    const std::string id = out.substr(0, out.find(';'));  // "<id>" or "<id>;<cluster>"
    if (r.exit_code != 0 || id.empty() || id.find_first_not_of("0123456789") != std::string::npos) {
        throw std::runtime_error("sbatch " + script.string() + " failed (exit code " + std::to_string(r.exit_code) +
                                 "): " + trim(r.err + r.out));
    }
    return id;
}

std::optional<double> parse_time_left(std::string_view text) {
    std::string s = trim(std::string(text));
    if (s.empty() || s == "UNLIMITED" || s == "INVALID" || s == "NOT_SET") return std::nullopt;
    double days = 0;
    if (const auto dash = s.find('-'); dash != std::string::npos) {
        try {
            days = std::stod(s.substr(0, dash));
        } catch (const std::exception&) {
            return std::nullopt;
        }
        s = s.substr(dash + 1);
    }
    std::vector<double> parts;
    std::size_t start = 0;
    while (true) {
        const std::size_t colon = s.find(':', start);
        const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
        if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
        parts.push_back(std::stod(part));
        if (colon == std::string::npos) break;
        start = colon + 1;
    }
    if (parts.size() > 3) return std::nullopt;
    double seconds = 0;
    for (double p : parts) seconds = seconds * 60 + p;  // [[h:]m:]s
    if (parts.size() == 1 && days > 0) seconds *= 3600;  // "d-h"
    return days * 86400 + seconds;
}

std::optional<double> remaining_walltime() {
    const char* job = std::getenv("SLURM_JOB_ID");
    if (job == nullptr || *job == '\0') return std::nullopt;
    // An array task is "<array job>_<task>": the plain id of the first task names the whole array.
    std::string id = job;
    const char* array_job = std::getenv("SLURM_ARRAY_JOB_ID");
    const char* task = std::getenv("SLURM_ARRAY_TASK_ID");
    if (array_job && task && *array_job && *task) id = std::string(array_job) + "_" + task;
    try {
        const CommandResult r = run_command({"squeue", "-h", "-j", id, "-o", "%L"});
        if (r.exit_code != 0) return std::nullopt;
        return parse_time_left(r.out.substr(0, r.out.find('\n')));
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace sr::slurm
