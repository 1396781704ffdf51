#pragma once
// Reading what an external program wrote into a Result: JSON ({"metrics": {...}, "arrays": {...}}),
// HDF5 (numeric scalar attributes of the root and 0-d datasets become metrics, other datasets
// arrays), .npz (0-d arrays become metrics, the others arrays) and single .npy arrays.
#include "core/result.hpp"

#include <filesystem>
#include <string>

namespace sr::exec {

// Adds the file's metrics and arrays to `result` (by its extension: .json, .h5/.hdf5, .npz, .npy).
// A name given twice, a malformed file or an unreadable type throws std::runtime_error naming the
// file. NaN metrics are kept: the caller decides.
void read_result_file(const std::filesystem::path& path, Result& result);

// The pieces, for tests.
void read_json_result(const std::string& text, const std::string& label, Result& result);
void read_npz_result(const std::string& bytes, const std::string& label, Result& result);
Array parse_npy(const std::string& bytes, const std::string& label);

}  // namespace sr::exec
