#include "cli/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace sr::cli {
namespace {

std::string stderr_pattern(bool timestamps, int rank) {
    std::string pattern = timestamps ? "[%Y-%m-%d %H:%M:%S] " : "";
    if (rank >= 0) pattern += "[rank " + std::to_string(rank) + "] ";
    return pattern + "%v";
}

LogOptions current;

}  // namespace

void configure_logging(const LogOptions& options) {
    const spdlog::level::level_enum level = spdlog::level::from_str(options.level);
    // from_str answers `off` for any name it does not know: only "off" itself may mean off.
    if (level == spdlog::level::off && options.level != "off") {
        throw std::invalid_argument("--log-level: expected trace, debug, info, warn, error, critical or off, got '" +
                                    options.level + "'");
    }
    current = options;
    current.timestamps = options.timestamps || std::getenv("SLURM_JOB_ID") != nullptr;
    auto to_stderr = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    to_stderr->set_pattern(stderr_pattern(current.timestamps, -1));
    to_stderr->set_level(level);
    // A log file is the run's record: -q and --log-level quiet the terminal, not the file.
    const auto file_level = std::min(level, spdlog::level::info);
    std::vector<spdlog::sink_ptr> sinks = {to_stderr};
    if (!options.file.empty()) {
        try {
            auto to_file = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file);
            to_file->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] %v");
            to_file->set_level(file_level);
            sinks.push_back(to_file);
        } catch (const spdlog::spdlog_ex& e) {
            throw std::invalid_argument("--log-file: " + std::string(e.what()));
        }
    }
    auto logger = std::make_shared<spdlog::logger>("sweep_runner", sinks.begin(), sinks.end());
    logger->set_level(sinks.size() > 1 ? file_level : level);
    logger->flush_on(spdlog::level::trace);  // a line is on disk before the next thing can crash
    spdlog::set_default_logger(logger);
}

void set_log_rank(int rank) {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.front()->set_pattern(stderr_pattern(current.timestamps, rank));
    if (sinks.size() > 1) sinks[1]->set_pattern("[%Y-%m-%d %H:%M:%S.%e] [%l] [rank " + std::to_string(rank) + "] %v");
}

}  // namespace sr::cli
