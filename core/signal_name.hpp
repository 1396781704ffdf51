#pragma once
// How a signal is named in error messages (a job's program killed by one, a job that crashed the
// runner): "11 (SIGSEGV, Segmentation fault)".
#include <cstring>
#include <string>

namespace sr {

inline std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    const char* text = ::strsignal(sig);
    return std::to_string(sig) + (abbrev ? std::string(" (SIG") + abbrev + (text ? std::string(", ") + text : "") + ")" : "");
}

}  // namespace sr
