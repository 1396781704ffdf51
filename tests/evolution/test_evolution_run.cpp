// Evolution sweeps end to end through the CLI (threads and mpirun): every rule scored once, the
// same populations after kill -9 and a rerun as without, and a rerun of a finished sweep runs nothing.
#include "db/store.hpp"
#include "scheduler/run.hpp"
#include "support/process.hpp"
#include "worker/thread_pool.hpp"

#include <gtest/gtest.h>

#include <csignal>
#include <thread>

namespace sr {
namespace {

namespace fs = std::filesystem;
using namespace sr::testing;
using namespace std::chrono_literals;

// Two evolutions of symbolic regression; sleep_seconds makes a run long enough to kill.
std::string symreg_sweep(double sleep_seconds, int generations) {
    return "name: evo\nmodel: testing.symreg\nparams: {target: \"x_0*x_1 - x_0\", sleep_seconds: " +
           std::to_string(sleep_seconds) +
           "}\nevolution:\n  genome: {n_inputs: 2, n_outputs: 1, n_columns: 6, n_rows: 1, levels_back: 6,\n"
           "           primitives: [Add, Sub, Mul, Div, Pow, 0.1, 1.0, 10.0]}\n"
           "  rules: [expr]\n  n_parents: 3\n  n_offsprings: 6\n  n_breeding: 6\n  tournament_size: 1\n"
           "  mutation_rate: 0.1\n  max_generations: " + std::to_string(generations) +
           "\n  min_fitness: 1.0\n  seed: 5\ngrid:\n  evolution.seed: [5, 6]\n";
}

std::int64_t count(const fs::path& db, const std::string& sql) {
    Store store(db.string(), true);
    auto select = store.connection().prepare(sql);
    select.step();
    return select.get_int(0);
}

// Everything the loop decided, per evolution, generation and place: what must be bitwise equal.
std::vector<std::string> populations(const fs::path& db) {
    Store store(db.string(), true);
    auto select = store.connection().prepare(R"sql(
        SELECT e.position, i.generation, i.position, i.individual, coalesce(i.parent, -1), i.inherited, i.genomes,
               i.rules, quote(i.fitness)
        FROM evolution_individuals i JOIN evolutions e ON e.id = i.evolution_id
        ORDER BY e.position, i.generation, i.position)sql");
    std::vector<std::string> rows;
    while (select.step()) {
        std::string row;
        for (int c = 0; c < 9; ++c) row += select.get_text(c) + "|";
        rows.push_back(row);
    }
    return rows;
}

std::vector<std::string> run_args(const fs::path& sweep, const fs::path& out) {
    return {binary(), "run", sweep.string(), "--out", out.string(), "-j", "2"};
}

// Each rule's job ran to completion once: one row per key, all done, and attempts beyond one only
// for the jobs in flight at a kill (at most `in_flight` per kill).
void expect_each_rule_scored_once(const fs::path& db, int kills, int in_flight) {
    const std::int64_t jobs = count(db, "SELECT count(*) FROM jobs");
    EXPECT_GT(jobs, 0);
    EXPECT_EQ(count(db, "SELECT count(DISTINCT key) FROM jobs"), jobs);
    EXPECT_EQ(count(db, "SELECT count(*) FROM jobs WHERE status = 'done'"), jobs);
    EXPECT_LE(count(db, "SELECT sum(attempts) FROM jobs"), jobs + kills * in_flight);
    // Every evaluation the generations count is one of these jobs.
    EXPECT_EQ(count(db, "SELECT sum(evaluations) FROM evolution_generations"), jobs);
}

TEST(EvolutionRun, RunsToTheEndOnceAndARerunRunsNothing) {
    TempDir dir;
    write_file(dir / "evo.yaml", symreg_sweep(0, 25));
    const auto first = run_process(run_args(dir / "evo.yaml", dir / "out"));
    ASSERT_EQ(first.exit_code, 0) << first.err;
    // The progress line counts generations (2 evolutions x 25), not the job budget.
    EXPECT_NE(first.err.find("generations 50/50  jobs done "), std::string::npos) << first.err;
    const fs::path db = dir / "out" / "index.db";
    EXPECT_EQ(count(db, "SELECT count(*) FROM evolutions WHERE finished = 1"), 2);
    EXPECT_EQ(count(db, "SELECT count(*) FROM evolution_generations"), 50);
    expect_each_rule_scored_once(db, 0, 0);
    // No payload files: testing.symreg is metrics only.
    EXPECT_FALSE(fs::exists(dir / "out" / "evo"));
    const auto before = populations(db);
    const std::int64_t jobs = count(db, "SELECT count(*) FROM jobs");

    const auto again = run_process(run_args(dir / "evo.yaml", dir / "out"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_NE(again.out.find("0 fitness jobs run"), std::string::npos) << again.out;
    EXPECT_EQ(count(db, "SELECT count(*) FROM jobs"), jobs);
    EXPECT_EQ(populations(db), before);

    const auto status = run_process({binary(), "status", db.string()});
    EXPECT_NE(status.out.find("evolution 1 (seed 6): 25 generations, finished"), std::string::npos) << status.out;
    const auto results = run_process({binary(), "results", db.string(), "--sweep", "evo", "--format", "csv"});
    EXPECT_EQ(results.out.substr(0, results.out.find('\n')), "evolution,generation,fitness,rules,evaluations,cache_hits");
}

TEST(EvolutionRun, RulesSharedAcrossEvolutionsAreScoredOnce) {
    TempDir dir;
    // The same seed twice (differing only in the generation budget): the second evolution's first
    // 10 generations are the first one's, so it needs no job of its own for them.
    std::string text = symreg_sweep(0, 10);
    text.replace(text.find("grid:"), std::string::npos, "grid:\n  evolution.max_generations: [10, 12]\n");
    write_file(dir / "evo.yaml", text);
    const auto r = run_process(run_args(dir / "evo.yaml", dir / "out"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path db = dir / "out" / "index.db";
    expect_each_rule_scored_once(db, 0, 0);
    const std::vector<std::string> rows = populations(db);
    std::vector<std::string> first, second;
    for (const std::string& row : rows) {
        const std::string rest = row.substr(row.find('|'));
        if (row[0] == '0') first.push_back(rest);
        else if (std::stoi(rest.substr(1, rest.find('|', 1) - 1)) < 10) second.push_back(rest);
    }
    EXPECT_EQ(first, second);
}

TEST(EvolutionRun, RulesStoppedByTheTimeoutScoreMinusInfinityOnce) {
    TempDir dir;
    std::string text = symreg_sweep(0.5, 2);
    text.replace(text.find("grid:"), std::string::npos, "timeout: 0.05\n");
    write_file(dir / "evo.yaml", text);
    const auto r = run_process(run_args(dir / "evo.yaml", dir / "out"));
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const fs::path db = dir / "out" / "index.db";
    const std::int64_t jobs = count(db, "SELECT count(*) FROM jobs");
    EXPECT_GT(jobs, 0);
    EXPECT_EQ(count(db, "SELECT count(*) FROM jobs WHERE status = 'failed' AND error LIKE 'timeout:%'"), jobs);
    EXPECT_EQ(count(db, "SELECT count(*) FROM evolution_generations WHERE champion_fitness = -1e999"), 2);
    const auto again = run_process(run_args(dir / "evo.yaml", dir / "out"));
    ASSERT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(count(db, "SELECT sum(attempts) FROM jobs"), jobs);
}

TEST(EvolutionRun, InsideAnAllocationTheTimeBudgetPassesResultsOn) {
    // In a Slurm allocation the coordinator's source is wrapped by the time budget; the evolution
    // must still get its results (and finish).
    TempDir dir;
    write_file(dir / "evo.yaml", symreg_sweep(0, 5));
    ThreadPool pool(2, dir / "out");
    RunRequest request;
    request.sweep_file = dir / "evo.yaml";
    request.out_dir = dir / "out";
    request.quiet = true;
    request.pool = &pool;
    request.remaining_seconds = [] { return std::optional<double>(3600.0); };
    EXPECT_EQ(run_sweep(request), 0);
    EXPECT_EQ(count(dir / "out" / "index.db", "SELECT count(*) FROM evolutions WHERE finished = 1"), 2);
}

// Waits (up to 10 s) until a running sweep has recorded `n` generations; returns how many it has.
std::int64_t wait_for_generations(const fs::path& db, std::int64_t n) {
    std::int64_t recorded = 0;
    for (int i = 0; i < 2000 && recorded < n; ++i) {
        std::this_thread::sleep_for(5ms);
        try {
            recorded = count(db, "SELECT count(*) FROM evolution_generations");
        } catch (const std::exception&) {  // not created yet
        }
    }
    return recorded;
}

// An evolution sweep registers its jobs a generation at a time, so a job count says nothing about
// how far it is: status counts generations, and estimates the rest from their recent pace.
TEST(EvolutionRun, StatusDuringTheRunCountsGenerations) {
    TempDir dir;
    write_file(dir / "evo.yaml", symreg_sweep(0.01, 40));  // at most 2 x 40 generations
    const fs::path db = dir / "out" / "index.db";
    const pid_t pid = start_process(run_args(dir / "evo.yaml", dir / "out"), dir.path());
    const std::int64_t recorded = wait_for_generations(db, 10);
    const auto json = run_process({binary(), "status", db.string(), "--json"});
    const auto text = run_process({binary(), "status", db.string()});
    EXPECT_EQ(wait_process(pid), 0);
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const sr::Json progress = sr::Json::parse(json.out).at(0).at("evolution_progress");
    const std::int64_t generations = progress.at("generations").get<std::int64_t>();
    EXPECT_GE(generations, recorded);
    EXPECT_LT(generations, 80) << "the run ended before status saw it going";
    EXPECT_EQ(progress.at("max_generations").get<std::int64_t>(), 80);
    const double pace = progress.at("generations_per_second").get<double>();
    EXPECT_GT(pace, 0);
    EXPECT_NEAR(progress.at("eta_seconds_at_most").get<double>(), (80 - generations) / pace, 1e-6);
    const std::string line = text.out.substr(text.out.find('\n') + 1);
    EXPECT_EQ(line.rfind("  progress: ", 0), 0u) << text.out;
    EXPECT_NE(line.find(" of at most 80 generations, "), std::string::npos) << text.out;
    EXPECT_NE(line.find(" generations/s, ETA at most "), std::string::npos) << text.out;
    // Finished: the progress is complete, and no line for it.
    const sr::Json done = sr::Json::parse(run_process({binary(), "status", db.string(), "--json"}).out).at(0);
    EXPECT_EQ(done["evolution_progress"]["generations"], done["evolution_progress"]["max_generations"]);
    EXPECT_EQ(run_process({binary(), "status", db.string()}).out.find("progress:"), std::string::npos);
}

void kill_and_resume(const std::vector<std::string>& prefix, const std::string& tag) {
    TempDir dir;
    write_file(dir / "evo.yaml", symreg_sweep(0.005, 30));
    auto args = [&](const std::string& out) {
        std::vector<std::string> a = prefix;
        for (const std::string& s : run_args(dir / "evo.yaml", dir / out)) a.push_back(s);
        return a;
    };
    const auto whole = run_process(args("whole"));
    ASSERT_EQ(whole.exit_code, 0) << whole.err;

    // Killed once some generations are recorded (and well before the end), then run again.
    const fs::path db = dir / "killed" / "index.db";
    const pid_t pid = start_process(args("killed"), dir.path());
    wait_for_generations(db, 12);
    signal_group(pid, SIGKILL);
    EXPECT_EQ(wait_process(pid), 128 + SIGKILL);
    const std::int64_t at_kill = count(db, "SELECT count(*) FROM evolution_generations");
    EXPECT_GE(at_kill, 12) << tag;
    EXPECT_LT(at_kill, 60) << tag << ": finished before the kill";
    const auto rerun = run_process(args("killed"));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;

    EXPECT_EQ(populations(db), populations(dir / "whole" / "index.db")) << tag;
    EXPECT_EQ(count(db, "SELECT count(*) FROM jobs"), count(dir / "whole" / "index.db", "SELECT count(*) FROM jobs"));
    EXPECT_EQ(count(db, "SELECT count(DISTINCT key) FROM jobs"), count(db, "SELECT count(*) FROM jobs"));
    EXPECT_EQ(count(db, "SELECT count(*) FROM jobs WHERE status = 'done'"), count(db, "SELECT count(*) FROM jobs"));
    // A job completed before the kill never runs again; only those in flight at the kill can.
    EXPECT_LE(count(db, "SELECT sum(attempts) FROM jobs"), count(db, "SELECT count(*) FROM jobs") + 2) << tag;
}

TEST(EvolutionRun, KillNineThenRerunGivesTheSamePopulations) { kill_and_resume({}, "threads"); }

TEST(EvolutionRun, KillNineUnderMpirunThenRerunGivesTheSamePopulations) {
    if (!have_mpirun()) GTEST_SKIP() << "no mpirun";
    mpi_environment();
    kill_and_resume(mpirun(3), "mpirun -n 3");
}

}  // namespace
}  // namespace sr
