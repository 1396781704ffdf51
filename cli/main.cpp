// sweep_runner: the command line. Parses arguments and calls into scheduler/ and db/; no logic here.
#include "core/limits.hpp"
#include "core/registry.hpp"
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

#include <csignal>
#include <unistd.h>
#include <cstdlib>
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
    std::cerr << "error: " << message << '\n';
    return code;
}

std::string shape_text(const std::vector<std::size_t>& shape) {
    std::string s = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
    return s + (shape.size() == 1 ? ",)" : ")");
}

int cmd_expand(const std::string& sweep_file, const std::string& format) {
    try {
        const sr::SweepSpec spec = sr::load_sweep(sweep_file);
        const std::vector<sr::Job> jobs = sr::expand(spec, sr::builtin_models());
        if (format == "json") {
            sr::Json out = sr::Json::array();
            for (const sr::Job& j : jobs) {
                out.push_back({{"block", j.block}, {"index", j.index}, {"key", j.key}, {"model", j.model},
                               {"cost", j.cost}, {"tags", j.tags}, {"params", j.params}});
            }
            std::cout << out.dump(1) << '\n';
            return 0;
        }
        sr::ResultsTable table;
        table.columns = {"block", "index", "key", "cost", "tags", "params"};
        for (const sr::Job& j : jobs) {
            table.rows.push_back({j.block, j.index, j.key, j.cost, j.tags.dump(), j.params.dump()});
        }
        std::cout << sr::format_table(table) << jobs.size() << " jobs\n";
        return 0;
    } catch (const sr::SweepError& e) {
        return fail(e.what());
    }
}

int cmd_models() {
    const sr::ModelRegistry& registry = sr::builtin_models();
    for (const std::string& name : registry.names()) {
        const sr::ModelInfo& info = registry.find(name)->info();
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
    return 0;
}

std::unique_ptr<sr::Store> open_existing(const std::string& path) {
    if (!std::filesystem::exists(path)) throw std::runtime_error(path + ": no such database");
    return std::make_unique<sr::Store>(path, /*read_only=*/true);
}

int cmd_status(const std::string& db) {
    auto store = open_existing(db);
    for (const sr::SweepCounts& c : store->counts()) {
        std::cout << c.name << ": " << c.done << " done, " << c.failed << " failed, " << c.running
                  << " running, " << c.pending << " pending";
        if (c.retired) std::cout << " (" << c.retired << " retired)";
        std::cout << '\n';
        if (!c.submissions.empty()) {
            std::cout << "  slurm jobs:";
            for (const std::string& id : c.submissions) std::cout << ' ' << id;
            std::cout << '\n';
        }
        for (const auto& [key, error] : c.failures) std::cout << "  failed " << key.substr(0, 12) << ": " << error << '\n';
    }
    return 0;
}

int cmd_results(const std::string& db, const std::string& sweep, const std::string& where,
                const std::vector<std::string>& columns, const std::string& format) {
    auto store = open_existing(db);
    const sr::ResultsTable table = sr::query_results(*store, sweep, sr::parse_where(where), columns);
    if (format == "csv") std::cout << sr::format_csv(table);
    else if (format == "json") std::cout << sr::format_json(table);
    else std::cout << sr::format_table(table);
    return 0;
}

int cmd_show(const std::string& db, const std::string& key) {
    auto store = open_existing(db);
    const auto job = sr::find_job(*store, key);
    if (!job) return fail("no job with key " + key + " in " + db);
    std::cout << "key:      " << job->key << "\nsweep:    " << job->sweep << "  index " << job->index
              << "\nmodel:    " << job->model << " (version " << job->model_version << ")"
              << "\nstatus:   " << job->status << "  attempts " << job->attempts
              << "\nran on:   " << job->host << " rank " << job->rank << ", " << job->wall_seconds << " s"
              << "\nbinary:   " << job->binary_version << " (" << job->build_type << ")"
              << "\ntags:     " << job->tags.dump() << "\nparams:   " << job->params.dump(2) << '\n';
    if (!job->error.empty()) std::cout << "error:    " << job->error << '\n';
    std::cout << "metrics:\n";
    for (const auto& [name, value] : job->metrics) std::cout << "  " << name << " = " << sr::Json(value).dump() << '\n';
    if (!job->payload_path.empty()) {
        std::cout << "payload:  " << job->payload_path << "\n  sha256 " << job->payload_sha256 << '\n';
        for (const sr::DatasetInfo& d : sr::read_payload_summary(job->payload_path).datasets) {
            std::cout << "  " << d.name << "  " << d.type << "  " << shape_text(d.shape) << '\n';
        }
    }
    return 0;
}

// Under mpirun with several ranks: rank 0 coordinates, the others work. Otherwise: threads.
int run_command(sr::RunRequest& run, int threads, int& argc, char**& argv) {
#ifdef SWEEP_RUNNER_WITH_MPI
    if (sr::mpi::launched_by_mpi()) {
        sr::mpi::Session session(argc, argv);
        if (session.size() > 1) {
            if (session.rank() != 0) {
                sr::mpi::run_worker(run.out_dir, g_stop);
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
    sr::ThreadPool pool(static_cast<std::size_t>(threads), run.out_dir);
    run.pool = &pool;
    return sr::run_sweep(run);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{"sweep_runner: parameter sweeps of spiking-network simulations"};
    app.require_subcommand(1);
    app.set_version_flag("--version", sr::build_info().version + " (" + sr::build_info().build_type + ")");

    sr::RunRequest run;
    std::string db, out = "results";
    int threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    double timeout = 0;
    auto* run_cmd = app.add_subcommand("run", "run every pending job of a sweep");
    run_cmd->add_option("sweep", run.sweep_file, "sweep file (YAML)")->required();
    run_cmd->add_option("--db", db, "SQLite index (default: OUT/index.db)");
    run_cmd->add_option("--out", out, "results folder for payloads")->capture_default_str();
    run_cmd->add_option("-j,--jobs", threads, "worker threads (default: all cores)")
        ->check(CLI::Range(1, sr::limits::max_threads));
    run_cmd->add_option("--retries", run.retries, "run failed jobs again up to K times")->check(CLI::NonNegativeNumber);
    run_cmd->add_option("--timeout", timeout, "per-job timeout in seconds (overrides the sweep's)")
        ->check(timeout_check);
    run_cmd->add_flag("-q,--quiet", run.quiet, "no progress or summary");
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
    std::string submit_db, submit_out = "results";
    bool submit_array = false;
    auto* submit_cmd = app.add_subcommand("submit", "submit a sweep to Slurm (one MPI allocation, or a job array)");
    submit_cmd->add_option("sweep", submit.sweep_file, "sweep file (YAML)")->required();
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
    auto* merge_cmd = app.add_subcommand("merge", "fold shard databases (DB.shard-i-of-M.db) into the index");
    merge_cmd->add_option("sweep", merge_sweep, "sweep file (optional: registers its jobs first)");
    merge_cmd->add_option("--db", merge_db, "SQLite index (default: OUT/index.db)");
    merge_cmd->add_option("--out", merge_out, "results folder")->capture_default_str();

    std::string expand_file, expand_format = "table";
    auto* expand_cmd = app.add_subcommand("expand", "print a sweep's jobs without running anything");
    expand_cmd->add_option("sweep", expand_file, "sweep file")->required();
    expand_cmd->add_option("--format", expand_format)->check(CLI::IsMember({"table", "json"}));

    auto* models_cmd = app.add_subcommand("models", "list models and their parameters");

    auto* status_cmd = app.add_subcommand("status", "job counts per sweep and failures");
    status_cmd->add_option("db", db, "SQLite index")->required();

    std::string sweep, where, format = "table", key;
    std::vector<std::string> columns;
    auto* results_cmd = app.add_subcommand("results", "parameters and metrics of a sweep's jobs");
    results_cmd->add_option("db", db, "SQLite index")->required();
    results_cmd->add_option("--sweep", sweep, "sweep name")->required();
    results_cmd->add_option("--where", where, "filter, e.g. 'init_noise>=0.4 and tag.sal=on'");
    results_cmd->add_option("--columns", columns, "columns to show")->delimiter(',');
    results_cmd->add_option("--format", format)->check(CLI::IsMember({"table", "csv", "json"}));

    auto* show_cmd = app.add_subcommand("show", "one job: parameters, metrics, payload datasets");
    show_cmd->add_option("db", db, "SQLite index")->required();
    show_cmd->add_option("key", key, "job key or unique prefix")->required();

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }

    try {
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
            return run_command(run, threads, argc, argv);
        }
        if (*submit_cmd) {
            submit.script.mode = submit_array ? sr::slurm::Mode::array : sr::slurm::Mode::mpi;
            submit.db_path = submit_db;
            submit.out_dir = submit_out;
            if (submit_retries > 0) submit.script.run_args.insert(submit.script.run_args.end(), {"--retries", std::to_string(submit_retries)});
            if (submit_timeout > 0) submit.script.run_args.insert(submit.script.run_args.end(), {"--timeout", sr::Json(submit_timeout).dump()});
            return sr::slurm::submit(submit);
        }
        if (*merge_cmd) return sr::slurm::merge(merge_sweep, merge_db, merge_out);
        if (*expand_cmd) return cmd_expand(expand_file, expand_format);
        if (*models_cmd) return cmd_models();
        if (*status_cmd) return cmd_status(db);
        if (*results_cmd) return cmd_results(db, sweep, where, columns, format);
        if (*show_cmd) return cmd_show(db, key);
    } catch (const std::exception& e) {
        return fail(e.what());
    }
    return 2;
}
