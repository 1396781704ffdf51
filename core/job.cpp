#include "core/job.hpp"

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

const BuildInfo& build_info() {
    static const BuildInfo info{SWEEP_RUNNER_VERSION, SWEEP_RUNNER_BUILD_TYPE};
    return info;
}

std::string hostname() {
    char buffer[256] = {};
    if (gethostname(buffer, sizeof buffer - 1) != 0) return "unknown";
    return buffer;
}

double unix_now() {
    using namespace std::chrono;
    return duration<double>(system_clock::now().time_since_epoch()).count();
}

}  // namespace sr
