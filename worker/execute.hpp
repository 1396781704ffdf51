#pragma once
// Running one job anywhere (thread, MPI rank, Slurm array task): run the model, reject NaN metrics,
// write the payload durably, and describe the outcome in a small header.
#include "core/job.hpp"
#include "core/registry.hpp"

#include <atomic>
#include <filesystem>

namespace sr {

// Where a job's model keeps its checkpoint (next to the payload, <key>.ckpt).
std::filesystem::path checkpoint_path(const std::filesystem::path& out_dir, const Job& job);

// Unpacks the job here, on the thread that runs it; its model comes from `models`.
JobOutcome execute_job(const PackedJob& packed, const ModelRegistry& models, const std::filesystem::path& out_dir,
                       const std::atomic<bool>* stop_flag, int rank);

}  // namespace sr
