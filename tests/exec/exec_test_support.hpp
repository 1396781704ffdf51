#pragma once
// Shared bits of the exec tests: a scratch folder, the script paths, reading files.
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

namespace exec_test {
namespace fs = std::filesystem;

inline const std::string python = "/usr/bin/python3";  // Debian's, with python3-numpy and h5py
inline const std::string source_dir = SWEEP_RUNNER_SOURCE_DIR;
inline std::string script(const std::string& name) { return source_dir + "/tests/exec/scripts/" + name; }
inline std::string tools_dir() { return source_dir + "/tools"; }

struct TempDir {
    fs::path path;
    TempDir() {
        std::random_device rd;
        path = fs::temp_directory_path() / ("sr_exec_test_" + std::to_string(rd()) + std::to_string(rd()));
        fs::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

inline std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline void spit(const fs::path& path, const std::string& text) {
    fs::create_directories(path.parent_path());
    std::ofstream(path) << text;
}

}  // namespace exec_test
