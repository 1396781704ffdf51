#pragma once
// The one job type and the one result header that every transport (threads, MPI ranks, Slurm
// shards) moves between the coordinator and the workers. Payload arrays never travel: workers write
// them to the payload file and report only its path and checksum. Jobs travel and wait packed
// (PackedJob); a model gets the Job unpacked from it.
#include "core/params.hpp"

#include <cstdint>
#include <map>
#include <string>

namespace sr {

struct Job {
    std::string sweep;           // sweep name
    std::int64_t index = 0;      // position in the sweep's expansion
    std::string block;           // block name ("" for a sweep without blocks)
    std::string key;             // hex SHA-256 of canonical {model, model_version, params}
    std::string model;
    int model_version = 1;
    Params params;               // fully resolved, defaults filled in
    Json tags = Json::object();
    double cost = 1.0;           // the model's estimate; larger runs first
    double timeout_seconds = 0;  // 0: no timeout
    int attempts = 0;            // how many times it was started before
    int cpus = 1;                // cores it uses (the sweep's resources.cpus)
};

// A job as it waits in the coordinator's queue, travels to a worker and is registered in the index:
// its parameters and tags as canonical JSON text (the index's `params` and `tags` columns) instead
// of trees. A million of these take ~0.3 GB where Jobs with their trees take 1.1 GB, and the
// coordinator hands them out without converting anything.
struct PackedJob {
    std::string sweep;
    std::int64_t index = 0;
    std::string block;
    std::string key;
    std::string model;
    int model_version = 1;
    std::string params = "{}";  // compact JSON with sorted keys, as the key was computed from
    std::string tags = "{}";
    double cost = 1.0;
    double timeout_seconds = 0;
    int attempts = 0;
    std::int64_t id = 0;  // the job's row in the index (0: not known); travels with it and back
    int cpus = 1;
};

// Parses the parameters and tags. (Packing is expansion's: it already has their text from
// computing the key. JSON has no infinities or NaN, so it refuses parameters holding them.)
Job unpack(const PackedJob& job);

enum class Outcome { done, failed, interrupted };  // interrupted: stopped by request, back to pending

std::string_view to_string(Outcome outcome);

struct JobOutcome {
    std::string key;
    Outcome outcome = Outcome::failed;
    std::string error;  // failures: the reason, one line first
    std::map<std::string, double> metrics;
    std::string payload_path;
    std::string payload_sha256;
    double started = 0;   // unix seconds
    double finished = 0;  // unix seconds
    double wall_seconds = 0;
    std::string host;
    int rank = 0;
    std::int64_t job_id = 0;  // PackedJob::id: the index updates the row without finding the key
};

// A worker took a job (recorded as `running` with its host and rank).
struct JobStart {
    std::string key;
    std::string host;
    int rank = 0;
    double started = 0;
    std::int64_t job_id = 0;  // PackedJob::id
};

// Provenance of this binary, recorded per job.
struct BuildInfo {
    std::string version;     // git describe
    std::string build_type;  // Release, Debug, ...
};
const BuildInfo& build_info();

std::string hostname();
double unix_now();

}  // namespace sr
