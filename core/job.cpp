#include "core/job.hpp"

#include <chrono>
#include <cmath>
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

Json to_json(const Job& job) {
    return {{"sweep", job.sweep}, {"index", job.index}, {"block", job.block}, {"key", job.key},
            {"model", job.model}, {"model_version", job.model_version}, {"params", job.params},
            {"tags", job.tags}, {"cost", job.cost}, {"timeout", job.timeout_seconds},
            {"attempts", job.attempts}};
}

Job job_from_json(const Json& j) {
    Job job;
    job.sweep = j.at("sweep").get<std::string>();
    job.index = j.at("index").get<std::int64_t>();
    job.block = j.at("block").get<std::string>();
    job.key = j.at("key").get<std::string>();
    job.model = j.at("model").get<std::string>();
    job.model_version = j.at("model_version").get<int>();
    job.params = j.at("params");
    job.tags = j.at("tags");
    job.cost = j.at("cost").get<double>();
    job.timeout_seconds = j.at("timeout").get<double>();
    job.attempts = j.at("attempts").get<int>();
    return job;
}

namespace {

// JSON has no infinities; they travel as the strings "inf" and "-inf".
Json metrics_to_json(const std::map<std::string, double>& metrics) {
    Json out = Json::object();
    for (const auto& [name, value] : metrics) {
        out[name] = std::isinf(value) ? Json(value > 0 ? "inf" : "-inf") : Json(value);
    }
    return out;
}

std::map<std::string, double> metrics_from_json(const Json& json) {
    std::map<std::string, double> out;
    for (const auto& [name, value] : json.items()) {
        out[name] = value.is_string() ? (value.get<std::string>() == "inf" ? HUGE_VAL : -HUGE_VAL)
                                      : value.get<double>();
    }
    return out;
}

}  // namespace

Json to_json(const JobOutcome& o) {
    return {{"key", o.key}, {"outcome", to_string(o.outcome)}, {"error", o.error},
            {"metrics", metrics_to_json(o.metrics)}, {"payload_path", o.payload_path},
            {"payload_sha256", o.payload_sha256}, {"started", o.started}, {"finished", o.finished},
            {"wall_seconds", o.wall_seconds}, {"host", o.host}, {"rank", o.rank}};
}

JobOutcome outcome_from_json(const Json& j) {
    JobOutcome o;
    o.key = j.at("key").get<std::string>();
    const std::string outcome = j.at("outcome").get<std::string>();
    o.outcome = outcome == "done" ? Outcome::done : outcome == "failed" ? Outcome::failed : Outcome::interrupted;
    o.error = j.at("error").get<std::string>();
    o.metrics = metrics_from_json(j.at("metrics"));
    o.payload_path = j.at("payload_path").get<std::string>();
    o.payload_sha256 = j.at("payload_sha256").get<std::string>();
    o.started = j.at("started").get<double>();
    o.finished = j.at("finished").get<double>();
    o.wall_seconds = j.at("wall_seconds").get<double>();
    o.host = j.at("host").get<std::string>();
    o.rank = j.at("rank").get<int>();
    return o;
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
