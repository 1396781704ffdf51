#pragma once
// Where the coordinator gets its jobs. A static sweep hands out its expansion; an evolution
// (scheduler/evolution/) creates each generation from the results of the last.
#include "core/job.hpp"

#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace sr {

class JobSource {
public:
    virtual ~JobSource() = default;
    // A job ready to run now, or nothing for the moment.
    virtual std::optional<PackedJob> next() = 0;
    // Every job handed out comes back here exactly once (done, failed, interrupted or returned).
    virtual void on_outcome(const PackedJob& job, Outcome outcome) = 0;
    // Then each finished job's outcome with its metrics, once it is committed to the index: a
    // source that builds on results (an evolution) never acts on one a crash could still lose.
    virtual void on_result(const PackedJob& /*job*/, const JobOutcome& /*outcome*/) {}
    // No job will ever come any more (given the outcomes so far).
    virtual bool exhausted() const = 0;
};

// The jobs of an expanded sweep not yet done, most expensive first; a job that fails runs again
// until it has been attempted 1 + retries times in this run (attempts of earlier runs do not count:
// after fixing a script, `--retry-failed --retries 2` gives each failed job three more tries).
class StaticJobSource final : public JobSource {
public:
    StaticJobSource(std::vector<PackedJob> jobs, int retries);
    std::optional<PackedJob> next() override;
    void on_outcome(const PackedJob& job, Outcome outcome) override;
    bool exhausted() const override { return queue_.empty() && retry_queue_.empty(); }

private:
    std::vector<PackedJob> queue_;  // the next job last (no second copy of a large sweep)
    std::deque<PackedJob> retry_queue_;  // after all the others
    int retries_;
    std::unordered_map<std::string, int> failures_;  // failed attempts in this run, by key
};

}  // namespace sr
