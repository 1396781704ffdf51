#pragma once
// Bounds on untrusted input (sweep files, base files, external programs' output, command-line
// values). Each keeps a hostile or mistaken input from crashing, hanging or exhausting the machine:
// it is refused with a one-line error instead. docs/limits.md lists them with their reasons.
#include <cstddef>

namespace sr::limits {

// Sweep and base files: read whole into memory and parsed into a tree.
inline constexpr std::size_t max_sweep_file_bytes = 2u << 20;  // 2 MiB
// Nesting of mappings and lists; an alias that refers to itself counts as endless nesting.
inline constexpr int max_yaml_depth = 64;
// Values in one file with aliases expanded (a ten-line alias bomb expands to billions).
inline constexpr std::size_t max_yaml_values = 1'000'000;
// A `derive` expression: parentheses and signs nested, and its length.
inline constexpr int max_expression_depth = 100;
inline constexpr std::size_t max_expression_chars = 4096;
// Jobs in one sweep: the index, the queue and the expansion hold every job (~0.5 kB each).
inline constexpr std::size_t max_jobs = 4'000'000;

// Worker threads of one runner (`-j`).
inline constexpr int max_threads = 1024;
// Per-job timeout in seconds (~116 days); larger values overflow a deadline.
inline constexpr double max_timeout_seconds = 1e7;

// An external program's result JSON: nesting and size.
inline constexpr int max_json_depth = 64;
inline constexpr std::size_t max_json_bytes = std::size_t{1} << 30;  // 1 GiB

}  // namespace sr::limits
