#pragma once
// What the three e2l models (correlation, error, reward) share around their simulations: a
// per-process cache of loaded or generated inputs (an evolution scores thousands of rules on the
// same trials), the identity of an input file, and the list of trial numbers a job scores.
#include "core/params.hpp"

#include <cmath>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace sr::e2l {

// The value for `key`, made by `make` on first use (outside the lock: other jobs keep going).
// One cache per value type; it is emptied when it reaches `Capacity` entries, which a sweep's one
// or two input sets never do.
template <class T, std::size_t Capacity = 64>
std::shared_ptr<const T> cached(const std::string& key, const std::function<T()>& make) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const T>> cache;
    {
        std::lock_guard lock(mutex);
        if (const auto it = cache.find(key); it != cache.end()) return it->second;
    }
    auto value = std::make_shared<const T>(make());
    std::lock_guard lock(mutex);
    if (cache.size() >= Capacity) cache.clear();
    cache.emplace(key, value);
    return value;
}

// An input file's identity for the cache: its size and modification time are part of it, so a
// rewritten file is read again. Throws ParamError (inputs.file) when it cannot be read.
inline std::string input_file_key(const std::string& path) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) throw ParamError("inputs.file", path + ": cannot read (" + ec.message() + ")");
    const auto mtime = std::filesystem::last_write_time(path, ec).time_since_epoch().count();
    return path + "|" + std::to_string(size) + "|" + std::to_string(mtime);
}

// The whole numbers >= 0 of the list parameter `key` (inputs.trials, inputs.experiments), at least
// one; `noun` names them in the errors ("trial", "experiment").
inline std::vector<int> input_numbers(const Params& params, const std::string& key, const std::string& noun) {
    std::vector<int> out;
    for (const double v : get_real_list(params, key)) {
        if (v < 0 || v != std::floor(v) || v > 1e6) throw ParamError(key, noun + " numbers are integers >= 0");
        out.push_back(static_cast<int>(v));
    }
    if (out.empty()) throw ParamError(key, "at least one " + noun);
    return out;
}

}  // namespace sr::e2l
