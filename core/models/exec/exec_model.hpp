#pragma once
// Model `exec`: each job runs an external program (an argv list, never a shell) in its own folder
// and reads back the result file it writes. See docs/exec.md.
#include "core/model.hpp"

#include <string>

namespace sr {

ModelPtr make_exec_model();

namespace exec {
// The parameters as a YAML document (block style; strings double-quoted, floats always with a '.'
// or an exponent that YAML 1.1 readers such as PyYAML also take as numbers).
std::string to_yaml(const Json& params);
}  // namespace exec

}  // namespace sr
