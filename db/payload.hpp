#pragma once
// One HDF5 file per job: parameters and metrics as attributes, arrays as datasets. Written under a
// temporary name, fsynced, renamed into place, then the folder fsynced: a payload path that exists
// always holds a complete file.
#include "core/job.hpp"
#include "core/result.hpp"

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr {

// OUT/<sweep>/<key[0:2]>/<key>.h5
std::filesystem::path payload_path(const std::filesystem::path& out_dir, const Job& job);

// OUT/<sweep>/<key[0:2]>/<key>/: the job's own working folder.
std::filesystem::path job_dir(const std::filesystem::path& out_dir, const Job& job);

// The disk (or quota, or file-size limit) is full: an environment fault, not the job's. The job
// stays pending and the run stops; a rerun after space is freed finishes it.
struct StorageFull : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// Writes atomically and returns the file's SHA-256. Throws StorageFull when out of space, else
// std::runtime_error, naming the path.
std::string write_payload(const std::filesystem::path& path, const Job& job, const Result& result);

struct DatasetInfo {
    std::string name;
    std::vector<std::size_t> shape;
    std::string type;  // "float64" or "int64"
};

struct PayloadContents {
    Json attributes = Json::object();  // root attributes (key, model, params JSON, ...)
    std::map<std::string, double> metrics;
    std::vector<DatasetInfo> datasets;
};

PayloadContents read_payload_summary(const std::filesystem::path& path);
// Reads one dataset (any numeric type) as doubles.
Array read_payload_array(const std::filesystem::path& path, const std::string& name);

}  // namespace sr
