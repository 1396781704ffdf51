// sweep_runner: the command line. Parses arguments and calls into scheduler/ and db/; no logic here.
#include "cli/cli.hpp"
#include "core/limits.hpp"
#include "cli/logging.hpp"
#include "db/evolution_store.hpp"
#include "db/index_lock.hpp"
#include "db/maintenance.hpp"
#include "db/payload.hpp"
#include "db/query.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/run.hpp"
#include "slurm/slurm.hpp"
#include "worker/thread_pool.hpp"
#ifdef SWEEP_RUNNER_WITH_MPI
#include "worker/mpi_transport.hpp"
#endif

#include <CLI/CLI.hpp>
#include <fmt/chrono.h>
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <unistd.h>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <sstream>
#include <thread>

namespace {

std::atomic<bool> g_stop{false};

// The first SIGINT/SIGTERM asks for a clean stop: running jobs checkpoint, outcomes are committed.
// A second one, for when that takes too long, ends the process at once; the index stays consistent
// (every write is a transaction) and the next run sets the jobs left running back to pending.
extern "C" void on_stop_signal(int signal) {
    if (g_stop.exchange(true)) ::_exit(128 + signal);
}

void install_stop_handlers() {
    struct sigaction action {};
    action.sa_handler = on_stop_signal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// A per-job timeout: positive and bounded (a huge one overflows the deadline); not NaN.
std::string timeout_check(const std::string& text) {
    char* end = nullptr;
    const double value = std::strtod(text.c_str(), &end);
    if (end == text.c_str() || *end != '\0' || !(value > 0 && value <= sr::limits::max_timeout_seconds)) {
        return "expected a number of seconds in (0, 1e7], got " + text;
    }
    return {};
}

int fail(const std::string& message, int code = 2) {
    spdlog::error("error: {}", message);
    return code;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

// The warning when an edit hides done results: they stay in the index but leave `results`.
void warn_retiring(const sr::EditPlan& plan) {
    if (plan.retire_done == 0) return;
    spdlog::warn("warning: this edit retires {} done jobs: their results stay in the index but no longer "
            "show in results. Inserting a value shifts `index`, and every seed derived from it (derive "
            "from a seed axis instead; see README, Sweep files)", plan.retire_done);
}

// expand: the jobs as a table (varying parameters as columns) or JSON; with an index, what a run
// would do to it. run --dry-run is the same against the index the run would use.
int cmd_expand(const std::string& sweep_file, const sr::SweepOverrides& overrides, const std::string& format,
               const std::string& db, const sr::ModelRegistry& models) {
    try {
        const sr::SweepSpec spec = sr::load_sweep(sweep_file, overrides);
        const std::vector<sr::Job> jobs = sr::expand(spec, models);
        double cost = 0;
        for (const sr::Job& j : jobs) cost += j.cost;
        if (format == "json") {
            sr::Json out = sr::Json::array();
            for (const sr::Job& j : jobs) {
                out.push_back({{"block", j.block}, {"index", j.index}, {"key", j.key}, {"model", j.model},
                               {"cost", j.cost}, {"tags", j.tags}, {"params", j.params}});
            }
            std::cout << out.dump(1) << '\n';
        } else {
            std::cout << sr::format_table(sr::job_table(jobs)) << jobs.size() << " jobs, estimated cost " << cost
                      << " s\n";
        }
        if (db.empty()) return 0;
        std::vector<std::string_view> keys;
        for (const sr::Job& j : jobs) keys.push_back(j.key);
        sr::EditPlan plan;
        if (std::filesystem::exists(db)) {
            sr::Store store(db, /*read_only=*/true);
            plan = sr::plan_edit(store, spec.name, keys);
        } else {
            plan.new_jobs = static_cast<std::int64_t>(keys.size());
        }
        spdlog::info("against {}: {}", db, sr::describe(plan));
        warn_retiring(plan);
        return 0;
    } catch (const sr::SweepError& e) {
        return fail(e.what());
    }
}

// models [NAME] [--json]: every model, or one, with its parameters (types, defaults, ranges).
int cmd_models(const sr::ModelRegistry& registry, const std::string& only, bool json) {
    if (!only.empty() && !registry.find(only)) return fail("no model named '" + only + "' (see: sweep_runner models)");
    sr::Json out = sr::Json::array();
    for (const std::string& name : registry.names()) {
        if (!only.empty() && name != only) continue;
        const sr::ModelInfo& info = registry.find(name)->info();
        sr::Json params = sr::Json::array();
        for (const sr::ParamSpec& p : info.params) {
            params.push_back({{"name", p.name}, {"type", sr::to_string(p.type)}, {"default", p.default_value},
                              {"min", p.min ? sr::Json(*p.min) : sr::Json()}, {"max", p.max ? sr::Json(*p.max) : sr::Json()},
                              {"doc", p.doc}});
        }
        out.push_back({{"name", info.name}, {"version", info.version}, {"doc", info.doc}, {"params", params},
                       {"open_params", info.open_params}, {"metrics_only", info.metrics_only}});
        if (json) continue;
        std::cout << info.name << " (version " << info.version << "): " << info.doc << '\n';
        for (const sr::ParamSpec& p : info.params) {
            std::cout << "  " << p.name << "  " << sr::to_string(p.type)
                      << "  default " << (p.default_value.is_null() ? "-" : p.default_value.dump());
            if (p.min || p.max) {
                const auto bound = [&](const std::optional<double>& v, const char* none) {
                    if (!v) return std::string(none);
                    return p.type == sr::ParamType::integer ? std::to_string(static_cast<long long>(*v))
                                                            : sr::Json(*v).dump();
                };
                std::cout << "  range [" << bound(p.min, "-inf") << ", " << bound(p.max, "inf") << "]";
            }
            std::cout << "  " << p.doc << '\n';
        }
    }
    if (json) std::cout << out.dump(1) << '\n';
    return 0;
}

const std::string& existing(const std::string& path) {
    if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such database");
    return path;
}

std::unique_ptr<sr::Store> open_existing(const std::string& path) {
    return std::make_unique<sr::Store>(existing(path), /*read_only=*/true);
}

// status --json: per sweep the counts, whether a runner holds the index, progress (estimated
// cost done and remaining, jobs/s, ETA, null where unknown), failure groups, Slurm job ids.
int cmd_status_json(sr::Store& store, bool runner_active, const std::map<std::string, sr::slurm::UnmergedCounts>& unmerged) {
    const auto optional = [](const std::optional<double>& v) { return v ? sr::Json(*v) : sr::Json(); };
    sr::Json out = sr::Json::array();
    for (const sr::SweepCounts& c : store.counts()) {
        const std::int64_t id = *store.find_sweep(c.name);
        const sr::SweepProgress p = sr::sweep_progress(store, id);
        sr::Json failures = sr::Json::array();
        for (const sr::FailureGroup& f : sr::failure_groups(store, id)) {
            failures.push_back({{"count", f.count}, {"error", f.error}, {"detail", f.detail},
                                {"example_key", f.example_key}, {"example_params", f.example_params}});
        }
        out.push_back({{"sweep", c.name}, {"done", c.done}, {"failed", c.failed}, {"running", c.running},
                       {"pending", c.pending}, {"retired", c.retired}, {"runner_active", runner_active},
                       {"stale_running", c.running > 0 && !runner_active},
                       {"progress", {{"done_cost_seconds", p.done_cost}, {"remaining_cost_seconds", p.remaining_cost},
                                     {"first_started", optional(p.first_started)},
                                     {"run_started", runner_active ? optional(store.current_run_started(id)) : sr::Json()},
                                     {"jobs_per_second", optional(p.jobs_per_second)},
                                     {"eta_seconds", optional(p.eta_seconds)}}},
                       {"failures", failures}, {"slurm_jobs", c.submissions}});
        // An evolution sweep's jobs are registered a generation at a time: its progress is in generations.
        const sr::EvolutionProgress evolution = sr::evolution_progress(store, id);
        if (evolution.max_generations > 0) {
            out.back()["evolution_progress"] = {{"generations", evolution.generations},
                                                {"max_generations", evolution.max_generations},
                                                {"generations_per_second", optional(evolution.generations_per_second)},
                                                {"eta_seconds_at_most", optional(evolution.eta_seconds)}};
        }
        const auto shards = unmerged.find(c.name);
        if (shards != unmerged.end()) {
            out.back()["unmerged"] = {{"shard_databases", shards->second.shards}, {"done", shards->second.done},
                                      {"failed", shards->second.failed}};
        }
    }
    std::cout << out.dump(1) << '\n';
    return 0;
}

int cmd_status(const std::string& db, bool json) {
    auto store = open_existing(db);
    // No runner holds the index, yet rows say running: a run ended without recording (killed, a
    // node lost). The next run puts them back to pending and redoes them.
    const bool runner_active = sr::IndexLock::held(db);
    // An array sweep before its merge: what the shard databases beside the index already hold.
    const auto unmerged = sr::slurm::unmerged_counts(db, *store);
    if (json) return cmd_status_json(*store, runner_active, unmerged);
    for (const sr::SweepCounts& c : store->counts()) {
        std::cout << c.name << ": " << c.done << " done, " << c.failed << " failed, " << c.running
                  << " running, " << c.pending << " pending";
        if (c.retired) std::cout << " (" << c.retired << " retired)";
        std::cout << '\n';
        if (const auto shards = unmerged.find(c.name); shards != unmerged.end()) {
            std::cout << "  in " << shards->second.shards << " shard databases, not merged yet: " << shards->second.done
                      << " done, " << shards->second.failed << " failed (sweep_runner merge folds them in)\n";
        }
        // While a run goes on: how far, how fast, how long still (--json has it at any time).
        const std::int64_t sweep_id = *store->find_sweep(c.name);
        const sr::EvolutionProgress evolution = sr::evolution_progress(*store, sweep_id);
        std::string progress;
        if (runner_active && evolution.max_generations > evolution.generations) {
            // Evolutions register their jobs a generation at a time: count generations.
            progress = fmt::format("  progress: {} of at most {} generations", evolution.generations,
                                   evolution.max_generations);
            if (evolution.generations_per_second) {
                progress += fmt::format(", {:.3g} generations/s, ETA at most {}", *evolution.generations_per_second,
                                        sr::duration_text(*evolution.eta_seconds));
            }
        } else if (runner_active && c.pending + c.running > 0 && c.done > 0) {
            const sr::SweepProgress p = sr::sweep_progress(*store, sweep_id);
            const double total = p.done_cost + p.remaining_cost;
            progress = fmt::format("  progress: {}% of the estimated cost",
                                   static_cast<int>(total > 0 ? 100 * p.done_cost / total : 0));
            if (p.jobs_per_second) {
                progress += fmt::format(", {:.3g} jobs/s over the last {} jobs", *p.jobs_per_second, p.window_jobs);
            }
            if (p.eta_seconds) progress += ", ETA " + sr::duration_text(*p.eta_seconds);
        }
        if (!progress.empty()) {
            if (const auto started = store->current_run_started(sweep_id)) {
                const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
                progress += ", running for " + sr::duration_text(now - *started);
            }
            std::cout << progress << '\n';
        }
        if (c.running > 0 && !runner_active) {
            std::cout << "  " << c.running << " jobs marked running, but no sweep_runner holds the index (the run "
                      << "ended without recording them): the next run redoes them\n";
        }
        if (!c.submissions.empty()) {
            std::cout << "  slurm jobs:";
            for (const std::string& id : c.submissions) std::cout << ' ' << id;
            std::cout << '\n';
        }
        // An evolution sweep: generations done per evolution, and its best rules so far.
        const sr::ResultsTable evolutions = sr::evolutions_table(*store, *store->find_sweep(c.name));
        for (const auto& row : evolutions.rows) {
            std::cout << "  evolution " << row[0].dump() << " (seed " << row[1].dump() << "): " << row[2].dump()
                      << " generations" << (row[3] == "yes" ? ", finished" : "") << ", best " << row[4].dump()
                      << ' ' << row[5].get<std::string>() << '\n';
        }
        if (c.failed == 0) continue;
        const std::vector<sr::FailureGroup> groups = sr::failure_groups(*store, *store->find_sweep(c.name));
        constexpr std::size_t shown = 5;
        for (std::size_t g = 0; g < groups.size() && g < shown; ++g) {
            const sr::FailureGroup& f = groups[g];
            std::cout << "  " << f.count << " failed: " << f.error << '\n';
            std::istringstream detail(f.detail);
            for (std::string line; std::getline(detail, line);) std::cout << "    | " << line << '\n';
            std::cout << "    e.g. " << f.example_key.substr(0, 12) << ' ' << f.example_params.dump() << '\n';
        }
        if (groups.size() > shown) {
            std::int64_t jobs = 0;
            for (std::size_t g = shown; g < groups.size(); ++g) jobs += groups[g].count;
            std::cout << "  and " << groups.size() - shown << " more errors (" << jobs << " jobs): sweep_runner results "
                      << db << " --sweep " << c.name << " --where status=failed --columns index,key,error\n";
        }
        std::cout << "  run them again: sweep_runner run SWEEP.yaml --retry-failed\n";
    }
    return 0;
}

int cmd_results(const std::string& db, sr::ResultsQuery query, const std::string& format) {
    auto store = open_existing(db);
    // An evolution sweep shows its champion per generation unless the query asks for jobs.
    const std::int64_t sweep_id = query.sweep.empty() ? 0 : store->find_sweep(query.sweep).value_or(0);  // ids start at 1
    const bool plain = query.where.empty() && query.columns.empty() && query.sort.empty() && !query.limit &&
                       query.group_by.empty();
    const bool champions = sweep_id != 0 && plain && sr::has_evolutions(*store, sweep_id);
    const sr::ResultsTable table =
        champions ? sr::champions_table(*store, sweep_id) : sr::query_results(*store, query);
    if (format == "csv") std::cout << sr::format_csv(table);
    else if (format == "json") std::cout << sr::format_json(table);
    else std::cout << sr::format_table(table);
    return 0;
}

int cmd_show(const std::string& db, const std::string& key, const std::string& sweep, std::optional<std::int64_t> index) {
    auto store = open_existing(db);
    std::optional<sr::JobRecord> job;
    if (index) {
        const std::string name = sr::resolve_sweep(*store, sweep);
        job = sr::find_job_at(*store, name, *index);
        if (!job) return fail("no job at index " + std::to_string(*index) + " of sweep " + name + " in " + db);
    } else {
        if (key.empty()) return fail("show: give a job key (or prefix), or --index I [--sweep S]");
        job = sr::find_job(*store, key);
        if (!job) return fail("no job with key " + key + " in " + db);
    }
    std::cout << "key:      " << job->key << "\nsweep:    " << job->sweep << "  index " << job->index
              << "\nmodel:    " << job->model << " (version " << job->model_version << ")"
              << "\nstatus:   " << job->status << "  attempts " << job->attempts
              << "\nran on:   " << job->host << " rank " << job->rank << ", " << job->wall_seconds << " s"
              << "\nbinary:   " << job->binary_version << " (" << job->build_type << ")"
              << "\ntags:     " << job->tags.dump() << "\nparams:   " << job->params.dump(2) << '\n';
    if (!job->error.empty()) std::cout << "error:    " << job->error << '\n';
    std::cout << "metrics:\n";
    for (const auto& [name, value] : job->metrics) {
        std::cout << "  " << name << " = " << (std::isfinite(value) ? sr::Json(value).dump() : std::isnan(value) ? "nan" : value > 0 ? "inf" : "-inf") << '\n';
    }
    if (!job->payload_path.empty()) {
        std::cout << "payload:  " << job->payload_path << "\n  sha256 " << job->payload_sha256 << '\n';
        for (const sr::DatasetInfo& d : sr::read_payload_summary(job->payload_path).datasets) {
            std::cout << "  " << d.name << "  " << d.type << "  " << shape_text(d.shape) << '\n';
        }
    }
    return 0;
}

// The write verbs (verify, reset, gc) change the index: the runner's lock keeps them from running
// alongside a run.
struct WritableIndex {
    explicit WritableIndex(const std::string& db)
        : lock(existing(db), sr::IndexLock::Mode::fail_if_held), store(db) {}
    sr::IndexLock lock;
    sr::Store store;
};

int cmd_verify(const std::string& db, const std::string& sweep) {
    WritableIndex index(db);
    const std::string name = sweep.empty() ? sweep : sr::resolve_sweep(index.store, sweep);
    const sr::VerifyReport r = sr::verify_payloads(index.store, name);
    std::cout << r.checked << " payloads checked: " << r.checked - r.missing - r.corrupt << " ok, " << r.missing
              << " missing, " << r.corrupt << " corrupt\n";
    for (const std::string& key : r.reset_keys) std::cout << "  " << key.substr(0, 12) << " back to pending\n";
    if (!r.reset_keys.empty()) std::cout << "run the sweep again to redo them\n";
    return r.reset_keys.empty() ? 0 : 1;
}

int cmd_reset(const std::string& db, const std::string& sweep, const std::string& where) {
    WritableIndex index(db);
    const std::string name = sr::resolve_sweep(index.store, sweep);
    std::vector<std::string> keys;
    for (const auto& row : sr::query_results(index.store, name, where, {"key"}).rows) keys.push_back(row[0].get<std::string>());
    const std::int64_t n = sr::reset_jobs(index.store, name, keys);
    std::cout << name << ": " << n << " jobs back to pending; the next run redoes them\n";
    return 0;
}

int cmd_gc(const std::string& db, const std::string& sweep) {
    WritableIndex index(db);
    const std::string name = sweep.empty() ? sweep : sr::resolve_sweep(index.store, sweep);
    const sr::GcReport r = sr::collect_garbage(index.store, name);
    std::cout << "removed " << r.payloads << " payloads and " << r.folders << " job folders of retired jobs ("
              << r.bytes / 1024 << " KiB)\n";
    return 0;
}

// run --log: <index folder>/logs/run-<date>-<time>-<host>-<pid>.log, one per run. Under MPI only
// rank 0 keeps one (the launcher's variables tell the rank before MPI starts); the workers' few
// lines go to stderr, which the launcher collects.
std::filesystem::path per_run_log_file(const std::filesystem::path& index) {
    for (const char* rank : {"OMPI_COMM_WORLD_RANK", "PMI_RANK"}) {
        const char* value = std::getenv(rank);
        if (value != nullptr && std::string(value) != "0") return {};
    }
    const std::time_t now = std::time(nullptr);
    return index.parent_path() / "logs" /
           fmt::format("run-{:%Y%m%d-%H%M%S}-{}-{}.log", fmt::localtime(now), sr::hostname(), ::getpid());
}

// Under mpirun with several ranks: rank 0 coordinates, the others work. Otherwise: threads.
int run_on_workers(sr::RunRequest& run, int threads, int& argc, char**& argv) {
#ifdef SWEEP_RUNNER_WITH_MPI
    if (sr::mpi::launched_by_mpi()) {
        sr::mpi::Session session(argc, argv);
        if (session.size() > 1) {
            sr::cli::set_log_rank(session.rank());
            if (session.rank() != 0) {
                sr::mpi::run_worker(run.out_dir, g_stop, *run.models);
                return 0;
            }
            sr::mpi::MpiPool pool(session.size());
            run.pool = &pool;
            return sr::run_sweep(run);
        }
    }
#else
    (void)argc;
    (void)argv;
#endif
    sr::ThreadPool pool(static_cast<std::size_t>(threads), run.out_dir, 0, *run.models);
    run.pool = &pool;
    return sr::run_sweep(run);
}

// `sweep_runner FILE.yaml ...` (the command the service is specified by, usually under mpirun) is
// `sweep_runner run FILE.yaml ...`: a first argument that names no verb but a sweep file gets `run`
// put in front of it.
std::vector<char*> with_default_verb(int argc, char** argv, const CLI::App& app) {
    std::vector<char*> args(argv, argv + argc + 1);  // with argv's terminating null
    if (argc < 2 || argv[1][0] == '-') return args;
    const std::string first = argv[1];
    for (const CLI::App* sub : app.get_subcommands({})) {
        if (sub->check_name(first)) return args;
    }
    const bool yaml = first.ends_with(".yaml") || first.ends_with(".yml");
    if (yaml || std::filesystem::is_regular_file(first)) {
        static char run_verb[] = "run";
        args.insert(args.begin() + 1, run_verb);
    }
    return args;
}

}  // namespace

int sr::run_cli(int argc, char** argv, const sr::ModelRegistry& models) {
    CLI::App app{"sweep_runner: parameter sweeps of spiking-network simulations"};
    app.require_subcommand(1);
    app.fallthrough();  // the logging options below may come after the verb too
    sr::cli::LogOptions log_options;
    auto* log_level = app.add_option("--log-level", log_options.level, "trace, debug, info, warn, error, critical or off")
        ->capture_default_str();
    int verbosity = 0;
    bool quiet_log = false;
    app.add_flag("-v,--verbose", verbosity, "more diagnostics: -v each job's outcome (debug), -vv also its dispatch (trace)");
    app.add_flag("-q,--quiet", quiet_log, "warnings and errors only (run -q also drops the progress and summary)");
    app.add_option("--log-file", log_options.file, "also append every diagnostic line here, with time and level");
    app.add_flag("--log-timestamps", log_options.timestamps, "time on every stderr line (always inside a Slurm job)");
    app.footer("A sweep file as the first argument means run: `sweep_runner SWEEP.yaml [options]` is "
               "`sweep_runner run SWEEP.yaml [options]`,\nalso under MPI: `mpirun -n 120 sweep_runner SWEEP.yaml`.");
    app.set_version_flag("--version", std::string("sweep_runner ") + SWEEP_RUNNER_PROJECT_VERSION + " (" +
                                          sr::build_info().version + ", " + sr::build_info().build_type + ")");

    // --set key=value and --grid key=v1,v2 on every verb that reads a sweep file.
    const auto add_overrides = [](CLI::App* verb, sr::SweepOverrides& overrides) {
        verb->add_option("--set", overrides.set, "fix a parameter: KEY=VALUE (repeatable), e.g. --set num_epochs=501");
        verb->add_option("--grid", overrides.grid, "sweep a parameter: KEY=V1,V2,... (repeatable), e.g. --grid lr.symm=0,0.01");
    };

    sr::RunRequest run;
    run.models = &models;
    std::string db, out = "results";
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    double timeout = 0;
    auto* run_cmd = app.add_subcommand("run", "run every pending job of a sweep");
    run_cmd->add_option("sweep", run.sweep_file, "sweep file (YAML)")->required();
    add_overrides(run_cmd, run.overrides);
    run_cmd->add_option("--db", db, "SQLite index (default: OUT/index.db)");
    run_cmd->add_option("--out", out, "results folder for payloads")->capture_default_str();
    run_cmd->add_option("-j,--jobs", threads, "worker threads (default: all cores)")
        ->check(CLI::Range(1, sr::limits::max_threads));
    run_cmd->add_option("--retries", run.retries, "a job that fails gets up to K more attempts in this run")
        ->check(CLI::NonNegativeNumber);
    run_cmd->add_flag("--retry-failed", run.retry_failed, "run the jobs that failed in earlier runs again");
    run_cmd->add_option("--timeout", timeout, "per-job timeout in seconds (overrides the sweep's)")
        ->check(timeout_check);
    run_cmd->add_flag("-q,--quiet", run.quiet, "no progress or summary");
    bool run_log = false;
    run_cmd->add_flag("--log", run_log, "also keep this run's log, with time and level, in logs/ next to the index");
    bool dry_run = false;
    run_cmd->add_flag("--dry-run", dry_run, "run nothing: print the jobs and what a run would do to the index");
    std::string shard;
    run_cmd->add_option("--shard", shard, "run only shard i of M (i/M: jobs at positions i mod M) into DB.shard-i-of-M.db")
        ->check([](const std::string& text) -> std::string {
            int i = 0, m = 0;
            char slash = 0;
            std::istringstream in(text);
            if (!(in >> i >> slash >> m) || slash != '/' || !in.eof() || m < 1 || i < 0 || i >= m) {
                return "expected i/M with 0 <= i < M";
            }
            return {};
        });

    sr::slurm::SubmitRequest submit;
    submit.models = &models;
    std::string submit_db, submit_out = "results";
    bool submit_array = false;
    auto* submit_cmd = app.add_subcommand("submit", "submit a sweep to Slurm (one MPI allocation, or a job array)");
    submit_cmd->add_option("sweep", submit.sweep_file, "sweep file (YAML)")->required();
    add_overrides(submit_cmd, submit.overrides);
    auto* ranks_opt = submit_cmd->add_option("--ranks", submit.script.ranks, "MPI mode: ranks (rank 0 coordinates)")
                          ->check(CLI::PositiveNumber)->capture_default_str();
    auto* array_opt = submit_cmd->add_flag("--array", submit_array, "array mode: shards as array tasks, then a merge job");
    ranks_opt->excludes(array_opt);
    submit_cmd->add_option("--shards", submit.shards, "array mode: number of shards (default: one per job, at most 1000)")
        ->check(CLI::PositiveNumber)->needs(array_opt);
    submit_cmd->add_option("--max-parallel", submit.script.max_parallel, "array mode: tasks running at once (%K)")
        ->check(CLI::PositiveNumber)->needs(array_opt);
    submit_cmd->add_option("--cpus-per-task", submit.script.cpus_per_task, "array mode: threads per task")
        ->check(CLI::PositiveNumber)->needs(array_opt);
    submit_cmd->add_option("--max-array-size", submit.max_array_size, "array size limit (default: the site's MaxArraySize)")
        ->check(CLI::PositiveNumber);
    submit_cmd->add_option("--launcher", submit.script.launcher, "MPI mode: mpirun or srun")
        ->check(CLI::IsMember({"mpirun", "srun"}))->capture_default_str();
    submit_cmd->add_option("--time", submit.script.time, "time limit (HH:MM:SS, D-HH:MM:SS, minutes)");
    submit_cmd->add_option("--partition", submit.script.partition, "partition");
    submit_cmd->add_option("--account", submit.script.account, "account");
    submit_cmd->add_option("--mem", submit.script.mem, "memory per node (e.g. 4G)");
    submit_cmd->add_option("--sbatch-arg", submit.script.sbatch_args, "extra #SBATCH option (repeatable), e.g. --qos=debug");
    submit_cmd->add_option("--grace", submit.script.grace_seconds, "seconds before the time limit when the run is told to checkpoint and stop")
        ->check(CLI::PositiveNumber)->capture_default_str();
    submit_cmd->add_option("--max-requeues", submit.script.max_requeues, "a stopped run requeues itself at most this often")
        ->check(CLI::NonNegativeNumber)->capture_default_str();
    int submit_retries = 0;
    double submit_timeout = 0;
    submit_cmd->add_option("--retries", submit_retries, "passed to run")->check(CLI::NonNegativeNumber);
    submit_cmd->add_option("--timeout", submit_timeout, "passed to run")
        ->check(timeout_check);
    submit_cmd->add_flag("--dry-run", submit.dry_run, "write and print the scripts, submit nothing");
    submit_cmd->add_option("--db", submit_db, "SQLite index (default: OUT/index.db)");
    submit_cmd->add_option("--out", submit_out, "results folder")->capture_default_str();

    std::string merge_sweep, merge_db, merge_out = "results";
    sr::SweepOverrides merge_overrides;
    auto* merge_cmd = app.add_subcommand("merge", "fold shard databases (DB.shard-i-of-M.db) into the index");
    merge_cmd->add_option("sweep", merge_sweep, "sweep file (optional: registers its jobs first)");
    add_overrides(merge_cmd, merge_overrides);
    merge_cmd->add_option("--db", merge_db, "SQLite index (default: OUT/index.db)");
    merge_cmd->add_option("--out", merge_out, "results folder")->capture_default_str();

    std::string expand_file, expand_format = "table", expand_db;
    auto* expand_cmd = app.add_subcommand("expand", "print a sweep's jobs without running anything");
    expand_cmd->add_option("sweep", expand_file, "sweep file")->required();
    sr::SweepOverrides expand_overrides;
    add_overrides(expand_cmd, expand_overrides);
    expand_cmd->add_option("--format", expand_format)->check(CLI::IsMember({"table", "json"}));
    expand_cmd->add_option("--db", expand_db, "also say what a run would do to this index: new, done, failed, retired");

    std::string model_name;
    bool models_json = false;
    auto* models_cmd = app.add_subcommand("models", "list models (or one) and their parameters");
    models_cmd->add_option("name", model_name, "only this model");
    models_cmd->add_flag("--json", models_json, "as JSON");

    // The read verbs default to the index `run` writes by default.
    std::string read_db = "results/index.db";
    auto* status_cmd = app.add_subcommand("status", "job counts per sweep and failures");
    status_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    bool status_json = false;
    status_cmd->add_flag("--json", status_json, "as JSON (counts, progress, ETA, failures)");

    std::string sweep, format = "table", key;
    sr::ResultsQuery query;
    std::vector<std::string> aggregate;
    std::size_t limit = 0;
    auto* results_cmd = app.add_subcommand("results", "parameters and metrics of a sweep's jobs");
    results_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    results_cmd->add_option("--sweep", query.sweep, "sweep name (default: the index's only sweep)");
    results_cmd->add_option("--where", query.where,
                            "filter: and, or, not, (), in (...), comparisons on parameters, tag.<name>, metrics, "
                            "index, status, attempts, started, finished, wall_seconds, ...; "
                            "e.g. \"(a=0 or a=0.03) and tag.sal=on and loss<inf\"");
    results_cmd->add_option("--columns", query.columns, "columns to show")->delimiter(',');
    results_cmd->add_option("--sort", query.sort, "sort by these columns (-COLUMN: descending)")->delimiter(',');
    results_cmd->add_option("--limit", limit, "at most N rows (after sorting)")->check(CLI::PositiveNumber);
    auto* group_opt = results_cmd->add_option("--group-by", query.group_by, "one row per distinct value of these columns")
                          ->delimiter(',');
    results_cmd->add_option("--agg", aggregate, "with --group-by: FUNCTIONS COLUMNS, e.g. --agg mean,std,median,count loss")
        ->expected(2)->needs(group_opt);
    results_cmd->add_option("--format", format)->check(CLI::IsMember({"table", "csv", "json"}));

    std::string where;
    auto* verify_cmd = app.add_subcommand(
        "verify", "check every done job's payload against its recorded SHA-256; missing or corrupt: back to pending");
    verify_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    verify_cmd->add_option("--sweep", sweep, "only this sweep (default: all)");
    auto* reset_cmd = app.add_subcommand("reset", "put the jobs a filter selects back to pending (the next run redoes them)");
    reset_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    reset_cmd->add_option("--sweep", sweep, "sweep name (default: the index's only sweep)");
    reset_cmd->add_option("--where", where, "which jobs, as for results --where")->required();
    auto* gc_cmd = app.add_subcommand("gc", "delete the payloads and job folders of retired jobs");
    gc_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    gc_cmd->add_option("--sweep", sweep, "only this sweep (default: all)");

    std::optional<std::int64_t> show_index;
    auto* show_cmd = app.add_subcommand("show", "one job: parameters, metrics, payload datasets");
    show_cmd->add_option("db", read_db, "SQLite index")->capture_default_str();
    show_cmd->add_option("key", key, "job key or unique prefix");
    show_cmd->add_option("--sweep", sweep, "with --index: the sweep (default: the index's only sweep)");
    show_cmd->add_option("--index", show_index, "the job at this index of the sweep (instead of a key)");

    std::vector<char*> args = with_default_verb(argc, argv, app);
    argc = static_cast<int>(args.size()) - 1;
    argv = args.data();
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    // An explicit --log-level wins over -v and -q.
    if (log_level->count() == 0) {
        if (quiet_log || run.quiet) log_options.level = "warn";
        else if (verbosity > 0) log_options.level = verbosity > 1 ? "trace" : "debug";
    }
    if (*run_cmd && run_log && log_options.file.empty()) {
        log_options.file = per_run_log_file(sr::index_path(out, db)).string();
    }
    try {
        sr::cli::configure_logging(log_options);
    } catch (const std::invalid_argument& e) {
        std::cerr << "error: " << e.what() << '\n';  // no logger to say it with
        return 2;
    }

    try {
        if (*run_cmd && dry_run) {
            return cmd_expand(run.sweep_file.string(), run.overrides, "table", sr::index_path(out, db).string(), models);
        }
        if (*run_cmd) {
            install_stop_handlers();
            run.out_dir = out;
            run.db_path = db;
            if (timeout > 0) run.timeout_seconds = timeout;
            run.stop_requested = &g_stop;
            if (!shard.empty()) {
                char slash = 0;
                std::istringstream(shard) >> run.shard_index >> slash >> run.shard_count;
            }
            // Inside a Slurm allocation: no job starts that cannot finish in the time left.
            if (std::getenv("SLURM_JOB_ID") != nullptr) run.remaining_seconds = sr::slurm::remaining_walltime;
            return run_on_workers(run, threads, argc, argv);
        }
        if (*submit_cmd) {
            submit.script.mode = submit_array ? sr::slurm::Mode::array : sr::slurm::Mode::mpi;
            submit.db_path = submit_db;
            submit.out_dir = submit_out;
            if (submit_retries > 0) submit.script.run_args.insert(submit.script.run_args.end(), {"--retries", std::to_string(submit_retries)});
            if (submit_timeout > 0) submit.script.run_args.insert(submit.script.run_args.end(), {"--timeout", sr::Json(submit_timeout).dump()});
            return sr::slurm::submit(submit);
        }
        if (*merge_cmd) return sr::slurm::merge(merge_sweep, merge_overrides, merge_db, merge_out, models);
        if (*expand_cmd) return cmd_expand(expand_file, expand_overrides, expand_format, expand_db, models);
        if (*models_cmd) return cmd_models(models, model_name, models_json);
        if (*status_cmd) return cmd_status(read_db, status_json);
        if (*results_cmd) {
            if (limit > 0) query.limit = limit;
            if (!aggregate.empty()) {
                const auto split = [](const std::string& text) {
                    std::vector<std::string> parts;
                    std::istringstream in(text);
                    for (std::string part; std::getline(in, part, ',');) parts.push_back(part);
                    return parts;
                };
                query.aggregate_functions = split(aggregate.at(0));
                query.aggregate_columns = split(aggregate.at(1));
            }
            return cmd_results(read_db, query, format);
        }
        if (*show_cmd) return cmd_show(read_db, key, sweep, show_index);
        if (*verify_cmd) return cmd_verify(read_db, sweep);
        if (*reset_cmd) return cmd_reset(read_db, sweep, where);
        if (*gc_cmd) return cmd_gc(read_db, sweep);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return 2;
}
