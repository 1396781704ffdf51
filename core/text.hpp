#pragma once
// One line of text from parts of any streamable type, for log messages:
// spdlog::warn("{}", sr::concat("warning: ", path, ": ", count, " jobs")).
#include <sstream>
#include <string>

namespace sr {

template <class... Parts>
std::string concat(const Parts&... parts) {
    std::ostringstream s;
    (s << ... << parts);
    return s.str();
}

}  // namespace sr
