#include "core/job.hpp"

#include "sweep_runner_version.hpp"  // generated at build time: SWEEP_RUNNER_VERSION

#include <chrono>
#include <unistd.h>

namespace sr {

std::string_view to_string(Outcome outcome) {
    switch (outcome) {
        case Outcome::done: return "done";
        case Outcome::failed: return "failed";
        case Outcome::interrupted: return "interrupted";
    }
    return "?";
}

Job unpack(const PackedJob& job) {
    return {job.sweep, job.index, job.block, job.key, job.model, job.model_version, Json::parse(job.params),
            Json::parse(job.tags), job.cost, job.timeout_seconds, job.attempts, job.cpus};
}

const BuildInfo& build_info() {
    static const BuildInfo info{SWEEP_RUNNER_VERSION, SWEEP_RUNNER_BUILD_TYPE};
    return info;
}

std::string hostname() {
    // Asked once: every outcome carries it, and it is a system call.
    static const std::string name = [] {
        char buffer[256] = {};
        if (gethostname(buffer, sizeof buffer - 1) != 0) return std::string("unknown");
        return std::string(buffer);
    }();
    return name;
}

double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sr
