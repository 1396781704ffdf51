#include "scheduler/run.hpp"

#include "core/command.hpp"

#include "core/signal_name.hpp"
#include "db/index_lock.hpp"
#include "db/evolution_store.hpp"
#include "db/query.hpp"
#include "db/store.hpp"
#include "scheduler/coordinator.hpp"
#include "scheduler/evolution/evolution_source.hpp"
#include "scheduler/expansion.hpp"
#include "worker/crash_record.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string_view>
#include <unordered_map>

namespace sr {
namespace fs = std::filesystem;
std::string duration_text(double seconds) {
    if (!(seconds >= 0) || seconds > 1e8) return "?";
    const long s = static_cast<long>(seconds + 0.5);
    if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
    if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
    return fmt::format("{}s", s);
}

namespace {

// The progress line of a static sweep: jobs done of the jobs this run set out to do.
std::string jobs_line(const Progress& p, bool final) {
    const std::size_t finished = p.done + p.failed;
    const double rate = p.elapsed_seconds > 0 ? finished / p.elapsed_seconds : 0;
    const double eta = rate > 0 ? (p.total - std::min(finished, p.total)) / rate : -1;
    return fmt::format("done {}/{}  failed {}  running {}  {:.2f} jobs/s  ETA {}", p.done, p.total, p.failed,
                       p.running, rate, final ? "0s" : duration_text(eta));
}

// Live line on a terminal, one line every few seconds otherwise (logs, Slurm output files).
std::function<void(const Progress&, bool)> progress_printer(
    std::function<std::string(const Progress&, bool final)> describe = jobs_line) {
    const bool tty = isatty(STDERR_FILENO) != 0;
    return [tty, describe = std::move(describe), last_print = -1e9](const Progress& p, bool final) mutable {
        const double interval = tty ? 0.25 : 5.0;
        if (!final && p.elapsed_seconds - last_print < interval) return;
        last_print = p.elapsed_seconds;
        const std::string line = describe(p, final);
        if (tty) std::cerr << '\r' << line << "\033[K" << (final ? "\n" : "") << std::flush;
        else spdlog::info("{}", line);  // a batch log's line, with its timestamp
    };
}

// An evolution sweep's line: its jobs come a generation at a time, so the pace is in generations,
// and the ETA is an upper bound (evolutions reaching min_fitness stop early).
std::function<std::string(const Progress&, bool)> generations_line(const evolution::EvolutionSource& source) {
    return [&source, at_start = source.generations().first](const Progress& p, bool final) {
        const auto [done, at_most] = source.generations();
        const double rate = p.elapsed_seconds > 0 ? static_cast<double>(done - at_start) / p.elapsed_seconds : 0;
        const double eta = rate > 0 ? static_cast<double>(at_most - done) / rate : -1;
        return fmt::format("generations {}/{}  jobs done {}  failed {}  running {}  {:.2f} generations/s  ETA {}{}",
                           done, at_most, p.done, p.failed, p.running, rate, final || done == at_most ? "" : "at most ",
                           final ? "0s" : duration_text(eta));
    };
}

// Keeps jobs from starting when the allocation has too little time left for them: the estimate is
// the model's cost times the seconds per unit of cost its finished jobs took (from the index,
// refreshed as jobs finish). Models without finished jobs have no estimate and always start.
class TimeBudgetSource final : public JobSource {
public:
    TimeBudgetSource(JobSource& inner, Store& store, double remaining_seconds)
        : inner_(inner), store_(store), remaining_(remaining_seconds), start_(Clock::now()) {}

    std::optional<PackedJob> next() override {
        while (std::optional<PackedJob> job = inner_.next()) {
            refresh();
            const auto it = seconds_per_cost_.find(job->model);
            const double left = remaining_ - std::chrono::duration<double>(Clock::now() - start_).count();
            if (it != seconds_per_cost_.end() && it->second * job->cost > left) {
                if (skipped_++ == 0) {
                    spdlog::info("not starting {} jobs estimated at {}: {} left in the allocation",
                            job->model, duration_text(it->second * job->cost), duration_text(std::max(left, 0.0)));
                }
                continue;  // stays pending for the next allocation
            }
            return job;
        }
        return std::nullopt;
    }
    void on_outcome(const PackedJob& job, Outcome outcome) override { inner_.on_outcome(job, outcome); }
    void on_result(const PackedJob& job, const JobOutcome& outcome) override { inner_.on_result(job, outcome); }
    bool exhausted() const override { return inner_.exhausted(); }
    std::size_t skipped() const { return skipped_; }

private:
    using Clock = std::chrono::steady_clock;
    void refresh() {
        if (Clock::now() - last_refresh_ < std::chrono::seconds(2)) return;
        last_refresh_ = Clock::now();
        seconds_per_cost_.clear();
        auto select = store_.connection().prepare(R"sql(
            SELECT model, avg(wall_seconds / cost) FROM jobs
            WHERE status = 'done' AND wall_seconds IS NOT NULL AND cost > 0 GROUP BY model)sql");
        while (select.step()) seconds_per_cost_[select.get_text(0)] = select.get_double(1);
    }

    JobSource& inner_;
    Store& store_;
    double remaining_;
    Clock::time_point start_;
    Clock::time_point last_refresh_{};
    std::map<std::string, double> seconds_per_cost_;
    std::size_t skipped_ = 0;
};

// Keys of jobs done in the main index (an array task skips them); none when there is no index yet.
std::set<std::string> done_in_main_index(const fs::path& db_path, const std::string& sweep) {
    std::set<std::string> done;
    if (!fs::exists(db_path)) return done;
    try {
        Store main(db_path.string(), /*read_only=*/true);
        const auto id = main.find_sweep(sweep);
        if (!id) return done;
        for (const auto& [key, state] : main.job_states(*id)) {
            if (state.status == JobStatus::done) done.insert(key);
        }
    } catch (const std::exception& e) {
        spdlog::warn("warning: {}: cannot read done jobs: {}", db_path.string(), e.what());
    }
    return done;
}

void check_writable_folder(const fs::path& dir, const std::string& what) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) throw std::runtime_error(dir.string() + ": cannot create " + what + ": " + ec.message());
    if (::access(dir.c_str(), W_OK) != 0) throw std::runtime_error(dir.string() + ": " + what + " is not writable");
}

// An evolution sweep: every point is one evolution (its own shard under --shard). Exit 0 when all
// of them have finished, 1 when a job failed (not by its timeout) and stopped an evolution, 3 when
// stopped or held back for allocation time; a rerun continues them.
int run_evolutions(const RunRequest& request, const SweepSpec& spec, const std::vector<PackedJob>& points,
                   Store& store, std::int64_t sweep_id, const fs::path& db_path) {
    std::vector<evolution::EvolutionPoint> evolutions;
    std::size_t budget = 0;  // jobs at most, for the progress line
    for (const PackedJob& point : points) {
        evolutions.push_back(evolution::evolution_point(point));
        const evolution::PopulationConfig& p = evolutions.back().config.population;
        budget += static_cast<std::size_t>(p.n_parents + p.n_offsprings) +
                  static_cast<std::size_t>(p.n_offsprings) * static_cast<std::size_t>(p.max_generations - 1);
    }
    const double timeout = request.timeout_seconds.value_or(spec.timeout_seconds.value_or(0.0));
    std::unique_ptr<evolution::EvolutionSource> source;
    try {
        source = std::make_unique<evolution::EvolutionSource>(std::move(evolutions), request.models->find(spec.model),
                                                              store, sweep_id, spec.name, timeout);
    } catch (const std::exception& e) {
        spdlog::error("error: {}", e.what());
        return 2;
    }
    CoordinatorOptions options;
    options.stop_requested = request.stop_requested;
    if (!request.quiet) options.on_progress = progress_printer(generations_line(*source));
    std::optional<double> remaining;
    if (request.remaining_seconds) remaining = request.remaining_seconds();
    RunSummary summary;
    if (remaining) {
        TimeBudgetSource limited(*source, store, *remaining);
        summary = coordinate(limited, budget, *request.pool, store, sweep_id, options);
    } else {
        summary = coordinate(*source, budget, *request.pool, store, sweep_id, options);
    }
    for (const auto& [position, error] : source->stalled()) {
        spdlog::error("error: evolution {} stopped: {}", position, error);
    }
    if (!request.quiet) {
        std::cout << format_table(evolutions_table(store, sweep_id))
                  << "sweep " << spec.name << ": " << source->finished_count() << " of " << source->evolution_count()
                  << " evolutions finished, " << summary.done << " fitness jobs run, " << summary.failed
                  << " failed\n"
                  << "index:    " << fs::absolute(db_path).string() << "\n"
                  << "see:      sweep_runner results " << db_path.string() << " --sweep " << spec.name << '\n';
    }
    if (source->finished_count() == source->evolution_count()) return 0;
    return source->stalled().empty() ? 3 : 1;
}

}  // namespace

fs::path shard_db_path(const fs::path& db_path, int shard_index, int shard_count) {
    return db_path.string() + ".shard-" + std::to_string(shard_index) + "-of-" + std::to_string(shard_count) + ".db";
}

fs::path index_path(const fs::path& out_dir, const fs::path& db_path) {
    return db_path.empty() ? out_dir / "index.db" : db_path;
}

GitState git_state(const fs::path& sweep_file) {
    const fs::path file = fs::absolute(sweep_file).lexically_normal();
    const auto trimmed = [](std::string s) {
        while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
        return s;
    };
    GitState state;
    try {
        const CommandResult head = run_command({"git", "-C", file.parent_path().string(), "rev-parse", "--verify", "-q", "HEAD"});
        if (head.exit_code != 0) return state;  // no git, no repository, or no commit yet
        state.commit = trimmed(head.out);
        const CommandResult status = run_command({"git", "-C", file.parent_path().string(), "status", "--porcelain",
                                                  "--untracked-files=all", "--", file.filename().string()});
        if (status.exit_code == 0) state.dirty = !trimmed(status.out).empty();
    } catch (const std::exception&) {  // no pipe or process: provenance unknown, the run goes on
    }
    return state;
}

std::optional<ExpandedSweep> load_and_expand(const fs::path& sweep_file, const SweepOverrides& overrides,
                                             const ModelRegistry& models) {
    try {
        ExpandedSweep sweep;
        sweep.spec = load_sweep(sweep_file, overrides);
        sweep.jobs = expand_packed(sweep.spec, models);
        return sweep;
    } catch (const SweepError& e) {
        spdlog::error("error: {}", e.what());
        return std::nullopt;
    }
}

int run_sweep(const RunRequest& request) {
    // Everything that can be wrong with the input is found before anything is written.
    std::optional<ExpandedSweep> expanded = load_and_expand(request.sweep_file, request.overrides, *request.models);
    if (!expanded) return 2;
    const SweepSpec& spec = expanded->spec;
    std::vector<PackedJob>& jobs = expanded->jobs;
    if (request.timeout_seconds) {
        for (PackedJob& job : jobs) job.timeout_seconds = *request.timeout_seconds;
    }
    // Asked before the index is opened: git takes milliseconds, and a new index should hold its
    // sweep as soon as it exists.
    const GitState git = git_state(request.sweep_file);

    const fs::path out_dir = request.out_dir;
    fs::path db_path = index_path(out_dir, request.db_path);
    if (request.shard_count > 0) {
        if (request.shard_index < 0 || request.shard_index >= request.shard_count) {
            spdlog::error("error: --shard {}/{}: the shard must be in [0, {})",
                    request.shard_index, request.shard_count, request.shard_count);
            return 2;
        }
        // Position in the expansion order, modulo the shard count: the same partition every time.
        const std::set<std::string> done = done_in_main_index(db_path, spec.name);
        std::vector<PackedJob> mine;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (static_cast<int>(i % static_cast<std::size_t>(request.shard_count)) != request.shard_index) continue;
            if (done.count(jobs[i].key) != 0) continue;
            mine.push_back(std::move(jobs[i]));
        }
        jobs = std::move(mine);
        db_path = shard_db_path(db_path, request.shard_index, request.shard_count);
    }
    const std::size_t job_count = jobs.size();
    std::unique_ptr<IndexLock> lock;
    std::unique_ptr<Store> store;
    // The row of this run in the index's runs table; its end is recorded however run_sweep returns
    // (declared after the store, so it goes first).
    struct RunRow {
        Store* store = nullptr;
        std::int64_t id = 0;
        ~RunRow() {
            try {
                if (store != nullptr) store->end_run(id);
            } catch (const std::exception&) {  // a full disk: the row stays open, as after kill -9
            }
        }
    } run_row;
    std::int64_t sweep_id = 0;
    std::size_t to_run_count = 0;
    std::size_t failed_not_retried = 0;
    std::int64_t retired_done = 0;
    try {
        check_writable_folder(out_dir, "results folder");
        check_writable_folder(db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path(),
                              "database folder");
        // One runner per index at a time: a second `run` would hand out the same jobs.
        lock = std::make_unique<IndexLock>(db_path, IndexLock::Mode::fail_if_held);
        store = std::make_unique<Store>(db_path.string());
        sweep_id = store->register_sweep(spec.name, fs::absolute(request.sweep_file).string(), spec.text, git);
        // An evolution sweep's points are evolutions, not jobs: its source adds the fitness jobs.
        if (!spec.evolution) store->register_jobs(sweep_id, jobs, &retired_done);
        store->reset_running(sweep_id);
        run_row.id = store->begin_run(sweep_id);
        run_row.store = store.get();
        // The index's state of each job, found by key, and the jobs not to run removed in place:
        // for a large sweep the jobs are most of the memory used, and a map holding copies of their
        // keys would add most of that again.
        std::unordered_map<std::string_view, std::size_t> position;
        position.reserve(jobs.size());
        for (std::size_t i = 0; i < jobs.size(); ++i) position.emplace(jobs[i].key, i);
        std::vector<bool> skip(jobs.size(), false);
        // Jobs that crashed a worker last time are failed now, with the signal as the cause, so
        // that they are not started blindly again (only --retry-failed does, as for any failure).
        const std::map<std::string, CrashRecord> crashed = read_crash_records(out_dir);
        std::map<std::string, CrashRecord> handled;
        std::vector<JobStart> crash_starts;
        std::vector<JobOutcome> crash_outcomes;
        store->for_each_job_state(sweep_id, [&](std::string_view key, const JobState& found) {
            const auto it = position.find(key);
            if (it == position.end()) return;  // retired
            JobState state = found;
            if (const auto crash = crashed.find(std::string(key));
                crash != crashed.end() && state.status != JobStatus::done) {
                handled.insert(*crash);
                // The crashed start counts as an attempt; the index has it unless the runner died
                // before committing it.
                if (state.attempts <= crash->second.attempts) {
                    crash_starts.push_back({std::string(key), hostname(), 0, unix_now(), state.id});
                    state.attempts = crash->second.attempts + 1;
                }
                JobOutcome failed;
                failed.key = key;
                failed.job_id = state.id;
                failed.outcome = Outcome::failed;
                failed.error = "crashed the runner: killed by signal " + signal_name(crash->second.signal) +
                               " (recorded in " + crash_record_path(out_dir).string() + ")";
                failed.host = hostname();
                crash_outcomes.push_back(std::move(failed));
                state.status = JobStatus::failed;
            }
            jobs[it->second].attempts = state.attempts;
            jobs[it->second].id = state.id;
            const bool failed_before = state.status == JobStatus::failed;
            if (failed_before && !request.retry_failed) ++failed_not_retried;
            skip[it->second] = state.status == JobStatus::done || (failed_before && !request.retry_failed);
        });
        store->commit(sweep_id, crash_starts, crash_outcomes);
        forget_crash_records(out_dir, handled);
        position = {};
        std::size_t kept = 0;
        for (std::size_t i = 0; i < jobs.size(); ++i) {
            if (skip[i]) continue;
            if (kept != i) jobs[kept] = std::move(jobs[i]);
            ++kept;
        }
        jobs.resize(kept);
        to_run_count = kept;
    } catch (const std::exception& e) {
        spdlog::error("error: {}", e.what());
        return 2;
    }

    if (spec.evolution) {
        if (!request.quiet) {
            spdlog::info("sweep {}: {} evolutions; index {}", spec.name, job_count, db_path.string());
        }
        return run_evolutions(request, spec, jobs, *store, sweep_id, db_path);
    }
    if (!request.quiet) {
        spdlog::info("sweep {}: {} jobs, {} to run; index {}", spec.name, job_count, to_run_count, db_path.string());
        if (failed_not_retried > 0) {
            spdlog::info("{} jobs failed in an earlier run and are not retried: add --retry-failed to run them "
                    "again (see why: sweep_runner status {})", failed_not_retried, db_path.string());
        }
    }
    // Shown even with --quiet: results just left the tables.
    if (retired_done > 0) {
        spdlog::warn("warning: this edit retired {} done jobs: their results stay in the index but no longer "
                "show in results (check first with --dry-run; seeds derived from `index` shift when a "
                "value is inserted: derive them from a seed axis instead)", retired_done);
    }
    RunSummary summary;
    std::size_t skipped_for_time = 0;
    if (to_run_count > 0) {
        StaticJobSource source(std::move(jobs), request.retries);
        CoordinatorOptions options;
        options.stop_requested = request.stop_requested;
        if (!request.quiet) options.on_progress = progress_printer();
        std::optional<double> remaining;
        if (request.remaining_seconds) remaining = request.remaining_seconds();
        if (remaining) {
            if (!request.quiet) spdlog::info("allocation: {} left", duration_text(*remaining));
            TimeBudgetSource budget(source, *store, *remaining);
            summary = coordinate(budget, to_run_count, *request.pool, *store, sweep_id, options);
            skipped_for_time = budget.skipped();
        } else {
            summary = coordinate(source, to_run_count, *request.pool, *store, sweep_id, options);
        }
    }

    if (!summary.fault.empty()) spdlog::error("error: run stopped: {}", summary.fault);
    // The sweep's jobs are exactly its rows not retired (registration retired the others).
    std::size_t done = 0, failed = 0, other = 0;
    for (const SweepCounts& c : store->counts()) {
        if (c.name != spec.name) continue;
        done = static_cast<std::size_t>(c.done);
        failed = static_cast<std::size_t>(c.failed);
        other = static_cast<std::size_t>(c.pending + c.running);
    }
    // After a stop request the table is left out: a stop has to be quick (a Slurm grace period).
    const bool stop_requested = request.stop_requested != nullptr && request.stop_requested->load();
    if (!request.quiet) {
        if (!stop_requested) {
            const ResultsTable table = query_results(*store, spec.name, {}, {});
            ResultsTable head{table.columns, {}};
            for (std::size_t i = 0; i < table.rows.size() && i < 10; ++i) head.rows.push_back(table.rows[i]);
            std::cout << format_table(head);
            if (table.rows.size() > head.rows.size()) {
                std::cout << "... " << table.rows.size() - head.rows.size() << " more rows\n";
            }
        }
        std::cout << "sweep " << spec.name << ": " << done << " done, " << failed << " failed, " << other
                  << " not run\n"
                  << "index:    " << fs::absolute(db_path).string() << "\n"
                  << "payloads: " << fs::absolute(out_dir / spec.name).string() << "/\n"
                  << "see:      sweep_runner results " << db_path.string() << " --sweep " << spec.name << '\n';
    }
    if ((summary.stopped || skipped_for_time > 0) && other > 0) return 3;
    if (failed > 0 || other > 0) return 1;
    return 0;
}

}  // namespace sr
