#include "core/run_context.hpp"

namespace sr {

bool RunContext::should_stop() const {
    if (stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed)) return true;
    return deadline_ && Clock::now() >= *deadline_;
}

void RunContext::check_cancelled() const {
    if (stop_flag_ != nullptr && stop_flag_->load(std::memory_order_relaxed)) {
        throw JobCancelled(JobCancelled::Reason::stop_requested, "stopped on request");
    }
    if (deadline_ && Clock::now() >= *deadline_) {
        throw JobCancelled(JobCancelled::Reason::timeout, "exceeded its timeout");
    }
}

}  // namespace sr
