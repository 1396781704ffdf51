// Dispatch benchmark (issue 4): end-to-end no-op jobs per second with threads and with 2, 4, 8 MPI
// ranks; the coordinator's own cost per job; expansion + registration of a 1,000,000-job sweep;
// reading back a 100,000-job sweep (the run's summary, `results`, `status`; issue 21: these were
// quadratic once, 96 s for 20,000 jobs).
//
// End-to-end rates subtract a baseline measured in the same run: the same command run again on the
// finished sweep does everything (start-up, expansion, registration, MPI start) except the jobs.
//
// Usage: bench_dispatch [sweep_runner binary] [jobs, default 50000] [parts: e2e,coordinator,million,readback].
// With jobs this fast, the job phase of a 30,000-job run is a fraction of a second next to a
// baseline of about as much, so the end-to-end rates of small runs scatter; 200,000 steadies them.
#include "core/registry.hpp"
#include "db/store.hpp"
#include "scheduler/coordinator.hpp"
#include "scheduler/expansion.hpp"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string noop_sweep(const std::string& name, int jobs) {
    std::string text = "name: " + name + "\nmodel: testing.noop\ngrid:\n  tag: [";
    for (int i = 0; i < jobs; ++i) text += (i ? "," : "") + std::to_string(i);
    return text + "]\n";
}

double timed_command(const std::string& command) {
    const auto start = Clock::now();
    if (std::system(command.c_str()) != 0) {
        std::fprintf(stderr, "failed: %s\n", command.c_str());
        std::exit(1);
    }
    return seconds_since(start);
}

// Completes every job at once, so only the coordinator and the index are measured.
class InstantPool final : public sr::WorkerPool {
public:
    std::size_t workers() const override { return 1; }
    std::size_t free_slots() const override { return 1024 - queued_.size(); }
    void submit(const sr::PackedJob& job) override { queued_.emplace_back(job.key, job.id); }
    sr::PoolEvents poll(std::chrono::milliseconds) override {
        sr::PoolEvents events;
        const double now = sr::unix_now();
        for (const auto& [key, id] : queued_) {
            events.started.push_back({key, "bench", 0, now, id});
            sr::JobOutcome o;
            o.key = key;
            o.job_id = id;
            o.outcome = sr::Outcome::done;
            o.metrics = {{"value", 1.0}};
            events.finished.push_back(std::move(o));
        }
        queued_.clear();
        return events;
    }
    void request_stop() override {}

private:
    std::vector<std::pair<std::string, std::int64_t>> queued_;  // keys and rows
};

long peak_rss_mb() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss / 1024;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string binary = argc > 1 ? argv[1] : SWEEP_RUNNER_BINARY;
    const int jobs = argc > 2 ? std::atoi(argv[2]) : 50000;
    // e.g. "coordinator" alone under valgrind
    const std::string parts = argc > 3 ? argv[3] : "e2e,coordinator,million,readback";
    const auto wanted = [&](const char* part) { return parts.find(part) != std::string::npos; };
    const fs::path dir = fs::temp_directory_path() / ("sweep_runner_bench_" + std::to_string(getpid()));
    fs::create_directories(dir);
    const fs::path sweep = dir / "noop.yaml";
    std::ofstream(sweep) << noop_sweep("noop", jobs);
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);

    if (wanted("e2e")) {
        std::printf("end to end, %d no-op jobs (dispatch + result + SQLite commit)\n", jobs);
        std::printf("%-22s %10s %10s %12s\n", "transport", "total s", "baseline s", "jobs/s");
        struct Setup {
            std::string name, prefix;
        };
        std::vector<Setup> setups = {{"threads -j 2", ""}};
        for (int ranks : {2, 4, 8}) {
            setups.push_back({"mpirun -n " + std::to_string(ranks),
                              "mpirun --oversubscribe -n " + std::to_string(ranks) + " "});
        }
        for (const Setup& s : setups) {
            const fs::path out = dir / ("out_" + std::to_string(&s - setups.data()));
            const std::string command = s.prefix + binary + " run " + sweep.string() + " -q -j 2 --out " + out.string();
            const double total = timed_command(command);
            const double baseline = timed_command(command);  // nothing left to run
            std::printf("%-22s %10.2f %10.2f %12.0f\n", s.name.c_str(), total, baseline, jobs / (total - baseline));
        }
    }

    // The coordinator alone: instant workers, real index.
    if (wanted("coordinator")) {
        const sr::SweepSpec spec = sr::parse_sweep(noop_sweep("coordinator", jobs), dir / "c.yaml");
        std::vector<sr::PackedJob> expanded = sr::expand_packed(spec, sr::builtin_models());
        sr::Store store((dir / "coordinator.db").string());
        const auto id = store.register_sweep("coordinator", "c.yaml", spec.text);
        store.register_jobs(id, expanded);
        const auto states = store.job_states(id);
        for (sr::PackedJob& job : expanded) job.id = states.at(job.key).id;  // as `run` does
        sr::StaticJobSource source(std::move(expanded), 0);
        InstantPool pool;
        const auto start = Clock::now();
        sr::coordinate(source, static_cast<std::size_t>(jobs), pool, store, id, {});
        const double s = seconds_since(start);
        std::printf("\ncoordinator overhead per job (instant workers, SQLite commits included): %.2f us\n",
                    1e6 * s / jobs);
    }

    // Expansion and registration of a million-job sweep.
    if (wanted("million")) {
        const int million = 1000000;
        std::string text = "name: million\nmodel: testing.arith\ngrid:\n  x: [";
        for (int i = 0; i < 1000; ++i) text += (i ? "," : "") + std::to_string(i);
        text += "]\n  seed: [";
        for (int i = 0; i < 1000; ++i) text += (i ? "," : "") + std::to_string(i);
        text += "]\n";
        auto start = Clock::now();
        const sr::SweepSpec spec = sr::parse_sweep(text, dir / "million.yaml");
        const std::vector<sr::PackedJob> expanded = sr::expand_packed(spec, sr::builtin_models());
        const double expand_s = seconds_since(start);
        start = Clock::now();
        sr::Store store((dir / "million.db").string());
        const auto id = store.register_sweep("million", "million.yaml", text);
        store.register_jobs(id, expanded);
        const double register_s = seconds_since(start);
        std::printf("1,000,000-job sweep (%zu jobs): expansion %.1f s, registration %.1f s, total %.1f s "
                    "(goal < 20 s); peak memory %ld MB (goal < 1024 MB)\n",
                    expanded.size(), expand_s, register_s, expand_s + register_s, peak_rss_mb());
        (void)million;
    }
    // A finished 100,000-job sweep read back: the summary a rerun prints (nothing left to run), the
    // whole results table, and status.
    if (wanted("readback")) {
        const int n = 100000;
        const fs::path big = dir / "readback.yaml";
        std::ofstream(big) << noop_sweep("readback", n);
        const std::string db = (dir / "readback" / "index.db").string();
        const std::string run = binary + " run " + big.string() + " -j 2 --out " + (dir / "readback").string() + " >/dev/null 2>&1";
        const double first = timed_command(run);
        const double summary = timed_command(run);
        const double results = timed_command(binary + " results " + db + " --format csv >/dev/null");
        const double status = timed_command(binary + " status " + db + " >/dev/null");
        std::printf("\n%d no-op jobs read back: run with summary %.2f s, rerun (registration + summary only) %.2f s, "
                    "results (all rows, csv) %.2f s, status %.2f s\n",
                    n, first, summary, results, status);
    }
    fs::remove_all(dir);
    return 0;
}
