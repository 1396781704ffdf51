// The hours after a run, as a user lives them through the CLI binary: run, move the results folder,
// read everything back; fail, fix, retry; query with real expressions; non-finite metrics.
#include "db/query.hpp"
#include "db/store.hpp"
#include "scheduler/expansion.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <regex>
#include <thread>

namespace sr {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

class Workflow : public ::testing::Test {
protected:
    test::ProcessResult cli(const std::vector<std::string>& args) {
        return test::run_cli(args, logs.path(), work.path());
    }
    TempDir work, logs;
};

const char* const quick_sweep = R"(name: quick
model: testing.arith
grid:
  x: [0, 0.03, 0.5]
  y: [1, 2]
derive:
  seed: "7 + index"
)";

// A sweep file as the first argument means `run`, and the read verbs default to results/index.db
// and to the index's only sweep.
TEST_F(Workflow, NoVerbRunsAndReadVerbsUseTheDefaults) {
    test::write_text(work / "quick.yaml", quick_sweep);
    const auto r = cli({"quick.yaml", "-j", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(fs::exists(work / "results" / "index.db"));
    EXPECT_EQ(cli({"status"}).out, "quick: 6 done, 0 failed, 0 running, 0 pending\n");
    const auto csv = cli({"results", "--columns", "index,x,y,sum", "--format", "csv", "--limit", "2"});
    EXPECT_EQ(csv.out, "index,x,y,sum\n0,0.0,1.0,1.0\n1,0.0,2.0,2.0\n") << csv.err;
    const auto show = cli({"show", "--index", "3"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("sweep:    quick  index 3\n"), std::string::npos) << show.out;
    EXPECT_NE(cli({"--help"}).out.find("A sweep file as the first argument means run"), std::string::npos);
    const auto bad = cli({"missing.yaml"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_NE(bad.err.find("missing.yaml"), std::string::npos) << bad.err;
}

// The index stores payload paths relative to its folder: the whole results folder moves (mv, rsync
// from a cluster) and everything reads back. An index written before (absolute paths, schema 1)
// is migrated when a run opens it.
TEST_F(Workflow, RunMoveReadBack) {
    test::write_text(work / "quick.yaml", quick_sweep);
    ASSERT_EQ(cli({"run", "quick.yaml", "--out", "cluster/results", "-q"}).exit_code, 0);
    fs::rename(work / "cluster" / "results", work / "home");
    fs::remove_all(work / "cluster");
    const std::string db = (work / "home" / "index.db").string();

    const auto paths = cli({"results", db, "--columns", "payload_path", "--format", "csv"});
    ASSERT_EQ(paths.exit_code, 0) << paths.err;
    const auto lines = test::split_lines(paths.out);
    ASSERT_EQ(lines.size(), 7u);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        EXPECT_EQ(lines[i].rfind((work / "home" / "quick").string(), 0), 0u) << lines[i];
        EXPECT_TRUE(fs::exists(lines[i])) << lines[i];
    }
    const auto show = cli({"show", db, "--index", "0"});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("  series  float64  (4,)\n"), std::string::npos) << show.out;

    // An old index: absolute paths into the folder it was written in, which has moved since.
    {
        Store store(db);
        store.connection().exec("UPDATE jobs SET payload_path = '/gone/cluster/results/' || payload_path");
        store.connection().exec("PRAGMA user_version=1");
    }
    test::write_text(work / "quick.yaml", std::string(quick_sweep) + "tags: {again: yes}\n");
    ASSERT_EQ(cli({"run", "quick.yaml", "--out", "home", "-q"}).exit_code, 0);
    Store store(db, true);
    auto stmt = store.connection().prepare("SELECT count(*) FROM jobs WHERE payload_path LIKE 'quick/%'");
    stmt.step();
    EXPECT_EQ(stmt.get_int(0), 6);
    const auto again = cli({"results", db, "--columns", "payload_path", "--format", "csv"});
    for (const std::string& line : test::split_lines(again.out)) {
        if (line != "payload_path") {
            EXPECT_TRUE(fs::exists(line)) << line;
        }
    }
}

// The job keys `expand` gives for a sweep file and overrides.
std::vector<std::string> expanded_keys(const test::ProcessResult& expanded) {
    std::vector<std::string> keys;
    for (const Json& job : Json::parse(expanded.out)) keys.push_back(job["key"]);
    return keys;
}

// Hydra-style overrides: --grid replaces an axis in place (or adds one), --set fixes a parameter
// (removing its axis); the jobs are exactly those of the sweep file written out with the same
// values, and the recorded sweep text says what was overridden.
TEST_F(Workflow, OverridesOnTheCommandLine) {
    test::write_text(work / "quick.yaml", quick_sweep);
    test::write_text(work / "written.yaml", "name: quick\nmodel: testing.arith\nparams: {y: 3, length: 5}\n"
                                            "grid:\n  x: [0, 0.5]\n  group.label: [a, b]\nderive:\n  seed: \"7 + index\"\n");
    const std::vector<std::string> overrides = {"--grid", "x=0,0.5", "--set", "y=3", "--set", "length=5",
                                                "--grid", "group.label=[a, b]"};
    std::vector<std::string> expand = {"expand", "quick.yaml", "--format", "json"};
    expand.insert(expand.end(), overrides.begin(), overrides.end());
    const auto overridden = cli(expand);
    ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
    const auto written = cli({"expand", "written.yaml", "--format", "json"});
    ASSERT_EQ(written.exit_code, 0) << written.err;
    EXPECT_EQ(expanded_keys(overridden), expanded_keys(written));
    EXPECT_EQ(expanded_keys(overridden).size(), 4u);

    std::vector<std::string> run = {"run", "quick.yaml", "-q"};
    run.insert(run.end(), overrides.begin(), overrides.end());
    ASSERT_EQ(cli(run).exit_code, 0);
    const auto csv = cli({"results", "--columns", "x,group.label,y,length,sum", "--format", "csv"});
    EXPECT_EQ(csv.out, "x,group.label,y,length,sum\n0.0,a,3.0,5,3.0\n0.0,b,3.0,5,3.0\n0.5,a,3.0,5,3.5\n0.5,b,3.0,5,3.5\n")
        << csv.err;
    Store store((work / "results" / "index.db").string(), true);
    auto text = store.connection().prepare("SELECT spec_text FROM sweeps WHERE name = 'quick'");
    ASSERT_TRUE(text.step());
    EXPECT_NE(text.get_text(0).find("# overridden on the command line:\n#   --set y=3\n#   --set length=5\n"
                                    "#   --grid x=0,0.5\n#   --grid group.label=[a, b]\n"),
              std::string::npos)
        << text.get_text(0);

    // What the file derives, or what a value of a key that is not a parameter, is an error before
    // anything runs.
    const auto derived = cli({"run", "quick.yaml", "--set", "seed=3"});
    EXPECT_EQ(derived.exit_code, 2);
    EXPECT_EQ(derived.err, "error: --set: seed: set by derive.seed in quick.yaml: edit the file instead\n");
    const auto no_value = cli({"expand", "quick.yaml", "--grid", "x"});
    EXPECT_EQ(no_value.exit_code, 2);
    EXPECT_EQ(no_value.err, "error: --grid: 'x': expected key=value\n");
    const auto empty = cli({"expand", "quick.yaml", "--grid", "x=[]"});
    EXPECT_EQ(empty.exit_code, 2);
    EXPECT_EQ(empty.err, "error: --grid x: grid.x: axis is empty\n");
}

// Range generators give the values a written list would, with the same job keys: linspace's value
// i is start + (stop - start) * i / (n - 1), so 0.3 is 0.3 (numpy's arange-style step gives
// 0.30000000000000004).
TEST_F(Workflow, RangeGeneratorsEqualTheWrittenLists) {
    const auto sweep = [&](const std::string& file, const std::string& x, const std::string& y) {
        test::write_text(work / file, "name: gen\nmodel: testing.arith\ngrid:\n  x: " + x + "\n  y: " + y + "\n");
        const auto r = cli({"expand", file, "--format", "json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return r;
    };
    const auto generated = sweep("generated.yaml", "{linspace: [0, 1, 11]}", "{logspace: [-2, 0, 3]}");
    const auto written = sweep("written.yaml", "[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0]", "[0.01, 0.1, 1.0]");
    EXPECT_EQ(expanded_keys(generated), expanded_keys(written));
    EXPECT_EQ(expanded_keys(generated).size(), 33u);
    const Json jobs = Json::parse(generated.out);
    EXPECT_EQ(jobs[9]["params"]["x"].get<double>(), 0.3);
    EXPECT_EQ(sweep("range.yaml", "{range: [0, 10, 3]}", "[1]").out, sweep("list.yaml", "[0, 3, 6, 9]", "[1]").out);
    EXPECT_EQ(expanded_keys(sweep("down.yaml", "{range: [3, 0, -1]}", "[1]")),
              expanded_keys(sweep("down_list.yaml", "[3, 2, 1]", "[1]")));
    // On the command line too.
    const auto cli_generated = cli({"expand", "written.yaml", "--grid", "x={linspace: [0, 1, 11]}", "--format", "json"});
    EXPECT_EQ(expanded_keys(cli_generated), expanded_keys(written));
}

// While a run goes on, `status` says how far it is and, from the pace of its recent jobs, how long
// the rest takes; `status --json` gives the same to scripts at any time (null where unknown).
TEST_F(Workflow, StatusShowsProgressAndEtaAlsoAsJson) {
    test::write_text(work / "sleep.yaml", "name: naps\nmodel: testing.sleep\nparams: {seconds: 0.2}\n"
                                          "grid:\n  tag: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]\n");
    test::Child run({"run", "sleep.yaml", "-j", "1", "-q"}, logs.path(), work.path());
    Json sweep;
    for (int i = 0; i < 400; ++i) {  // until three jobs are recorded done
        const auto json = cli({"status", "--json"});
        const Json sweeps = json.exit_code == 0 ? Json::parse(json.out) : Json::array();
        if (!sweeps.empty()) {  // the index exists before the sweep is registered in it
            sweep = sweeps.at(0);
            if (sweep["done"].get<int>() >= 3) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto text = cli({"status"});
    ASSERT_GE(sweep["done"].get<int>(), 3) << sweep.dump();
    ASSERT_LT(sweep["done"].get<int>(), 12) << "the run finished before status saw it going";
    EXPECT_EQ(sweep["sweep"], "naps");
    EXPECT_EQ(sweep["runner_active"], true);
    EXPECT_EQ(sweep["stale_running"], false);
    const Json& p = sweep["progress"];
    const int left = sweep["pending"].get<int>() + sweep["running"].get<int>();
    EXPECT_EQ(sweep["done"].get<int>() + left, 12);
    EXPECT_NEAR(p["remaining_cost_seconds"].get<double>() * sweep["done"].get<int>(),
                p["done_cost_seconds"].get<double>() * left, 1e-9);  // every job costs the same
    // 0.2 s jobs one after the other: at most 5 jobs/s; the ETA is the jobs left at that pace.
    const double rate = p["jobs_per_second"].get<double>();
    EXPECT_GT(rate, 1.0);
    EXPECT_LT(rate, 5.01);
    EXPECT_NEAR(p["eta_seconds"].get<double>(), left / rate, 1e-9);
    EXPECT_TRUE(sweep["failures"].empty());
    const auto lines = test::split_lines(text.out);
    ASSERT_GE(lines.size(), 2u) << text.out;
    EXPECT_EQ(lines[1].rfind("  progress: ", 0), 0u) << lines[1];
    EXPECT_NE(lines[1].find("% of the estimated cost, "), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find(" jobs/s over the last "), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find(" jobs, ETA "), std::string::npos) << lines[1];
    EXPECT_NE(lines[1].find(", running for "), std::string::npos) << lines[1];
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    EXPECT_GT(p["run_started"].get<double>(), now - 60);
    EXPECT_LE(p["run_started"].get<double>(), now);

    // Finished: no progress line, and nothing left to estimate.
    EXPECT_EQ(run.wait().exit_code, 0);
    EXPECT_EQ(cli({"status"}).out, "naps: 12 done, 0 failed, 0 running, 0 pending\n");
    const Json done = Json::parse(cli({"status", "--json"}).out).at(0);
    EXPECT_TRUE(done["progress"]["eta_seconds"].is_null());
    EXPECT_EQ(done["runner_active"], false);
    EXPECT_TRUE(done["progress"]["run_started"].is_null());
    // The index keeps every run, with its start and end.
    Store store((work / "results" / "index.db").string(), true);
    auto runs = store.connection().prepare("SELECT count(*), min(ended >= started) FROM runs");
    ASSERT_TRUE(runs.step());
    EXPECT_EQ(runs.get_int(0), 1);
    EXPECT_EQ(runs.get_int(1), 1);
}

// `derive` computes real parameters too (y from x), and a whole parameter (seed) takes a real
// result that is whole: x * 2 of x = 1.5 is seed 3.
TEST_F(Workflow, DeriveRealValuedParameters) {
    test::write_text(work / "derived.yaml", "name: derived\nmodel: testing.arith\ngrid:\n  x: [0.5, 1.5]\n"
                                            "derive:\n  y: \"x / 4 + 10 ** -2\"\n  seed: \"x * 2 + index\"\n");
    const auto r = cli({"expand", "derived.yaml", "--format", "json"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Json jobs = Json::parse(r.out);
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0]["params"]["y"].get<double>(), 0.5 / 4 + 0.01);
    EXPECT_EQ(jobs[1]["params"]["y"].get<double>(), 1.5 / 4 + 0.01);
    EXPECT_TRUE(jobs[1]["params"]["seed"].is_number_integer());
    EXPECT_EQ(jobs[0]["params"]["seed"], 1);
    EXPECT_EQ(jobs[1]["params"]["seed"], 4);
}

// Provenance: each version of the sweep file is kept with its git commit and whether the file had
// uncommitted changes when it ran.
TEST_F(Workflow, SweepVersionsRecordTheGitState) {
    if (std::system("git --version > /dev/null 2>&1") != 0) GTEST_SKIP() << "no git";
    const auto git = [&](const std::string& args) {
        const std::string command = "git -C '" + work.path().string() + "' -c user.name=t -c user.email=t@t " + args +
                                    " > /dev/null 2>&1";
        ASSERT_EQ(std::system(command.c_str()), 0) << command;
    };
    git("init -q");
    test::write_text(work / "quick.yaml", quick_sweep);
    git("add quick.yaml");
    git("commit -q -m sweep");
    ASSERT_EQ(cli({"run", "quick.yaml", "-q"}).exit_code, 0);
    ASSERT_EQ(cli({"run", "quick.yaml", "-q"}).exit_code, 0);  // the same version again
    test::write_text(work / "quick.yaml", std::string(quick_sweep) + "tags: {edited: yes}\n");
    ASSERT_EQ(cli({"run", "quick.yaml", "-q"}).exit_code, 0);
    std::string commit;
    {
        const fs::path out = logs / "head.txt";
        ASSERT_EQ(std::system(("git -C '" + work.path().string() + "' rev-parse HEAD > '" + out.string() + "'").c_str()), 0);
        commit = test::read_text(out);
        commit.erase(commit.find_last_not_of("\n") + 1);
    }
    Store store((work / "results" / "index.db").string(), true);
    auto versions = store.connection().prepare(
        "SELECT git_commit, git_dirty, instr(spec_text, 'edited') > 0 FROM sweep_versions ORDER BY id");
    std::vector<std::string> seen;
    while (versions.step()) {
        seen.push_back(versions.get_text(0) + " " + std::to_string(versions.get_int(1)) + " " +
                       std::to_string(versions.get_int(2)));
    }
    EXPECT_EQ(seen, (std::vector<std::string>{commit + " 0 0", commit + " 1 1"}));
}

// An exec sweep's hash_files put the script's contents into the job keys: editing the script gives
// new jobs, as editing a parameter does; a missing file is an error before anything runs.
TEST_F(Workflow, HashFilesPutTheScriptIntoTheJobKeys) {
    const std::string sweep = "name: scripted\nmodel: exec\ncommand: [/usr/bin/python3, \"{sweep_dir}/job.py\"]\n"
                              "hash_files: [job.py]\ngrid:\n  lr: [0.1, 0.2]\n";
    test::write_text(work / "scripted.yaml", sweep);
    test::write_text(work / "job.py", "print('v1')\n");
    const auto keys = [&] {
        const auto r = cli({"expand", "scripted.yaml", "--format", "json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return expanded_keys(r);
    };
    const std::vector<std::string> first = keys();
    ASSERT_EQ(first.size(), 2u);
    EXPECT_EQ(keys(), first);  // unchanged script, same keys
    test::write_text(work / "job.py", "print('v2')\n");
    const std::vector<std::string> edited = keys();
    EXPECT_NE(edited[0], first[0]);
    EXPECT_NE(edited[1], first[1]);
    test::write_text(work / "scripted.yaml", sweep + "params: {note: x}\n");
    fs::remove(work / "job.py");
    const auto missing = cli({"expand", "scripted.yaml"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.err, "error: scripted.yaml:4:14: hash_files: '" + (fs::absolute(work.path()) / "job.py").lexically_normal().string() +
                               "' is not a file\n");
}

// The most jobs running at once, from their recorded start and finish times.
int most_at_once(const Json& rows) {
    std::vector<std::pair<double, int>> events;
    for (const Json& r : rows) {
        events.emplace_back(r["started"].get<double>(), 1);
        events.emplace_back(r["finished"].get<double>(), -1);
    }
    std::sort(events.begin(), events.end());  // a finish sorts before a start at the same time
    int running = 0, most = 0;
    for (const auto& [time, change] : events) most = std::max(most, running += change);
    return most;
}

// resources.cpus: the local pool runs jobs side by side only while their cores fit in -j, and an
// exec program gets OMP_NUM_THREADS (and SWEEP_RUNNER_CPUS) set to its cores.
TEST_F(Workflow, JobsWithSeveralCoresArePackedIntoTheThreads) {
    const auto run_naps = [&](int cpus) {
        const std::string name = "naps" + std::to_string(cpus);
        test::write_text(work / (name + ".yaml"), "name: " + name + "\nmodel: testing.sleep\nparams: {seconds: 0.15}\n"
                                                  "resources: {cpus: " + std::to_string(cpus) + "}\n"
                                                  "grid:\n  tag: [1, 2, 3, 4, 5, 6]\n");
        EXPECT_EQ(cli({"run", name + ".yaml", "-j", "4", "-q"}).exit_code, 0);
        const auto r = cli({"results", "--sweep", name, "--columns", "started,finished", "--format", "json"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        return most_at_once(Json::parse(r.out));
    };
    EXPECT_EQ(run_naps(3), 1);  // 3 + 3 > 4
    EXPECT_EQ(run_naps(2), 2);
    EXPECT_LE(run_naps(1), 4);

    // A block's cores: its jobs run alone on -j 4, the other block's side by side.
    test::write_text(work / "mixed.yaml", "name: mixed\nmodel: testing.sleep\ngrid:\n  tag: [1, 2, 3]\nblocks:\n"
                                          "  - {name: wide, params: {seconds: 0.15}, resources: {cpus: 4}}\n"
                                          "  - {name: narrow, params: {seconds: 0.1}}\n");
    ASSERT_EQ(cli({"run", "mixed.yaml", "-j", "4", "-q"}).exit_code, 0);
    const Json mixed = Json::parse(
        cli({"results", "--sweep", "mixed", "--columns", "seconds,started,finished", "--format", "json"}).out);
    ASSERT_EQ(mixed.size(), 6u);
    for (const Json& wide : mixed) {
        if (wide["seconds"] != 0.15) continue;
        for (const Json& other : mixed) {
            if (&other == &wide) continue;
            const bool overlap = other["started"].get<double>() < wide["finished"].get<double>() &&
                                 wide["started"].get<double>() < other["finished"].get<double>();
            EXPECT_FALSE(overlap) << wide.dump() << " ran beside " << other.dump();
        }
    }

    test::write_text(work / "threads.yaml",
                     "name: threads\nmodel: exec\nresources: {cpus: 3}\n"
                     "command: [/usr/bin/python3, -c, \"import json, os, sys; json.dump({{'metrics': {{'omp': "
                     "int(os.environ['OMP_NUM_THREADS']), 'cpus': int(os.environ['SWEEP_RUNNER_CPUS'])}}}}, "
                     "open(sys.argv[1], 'w'))\", \"{output_file}\"]\n"
                     "grid:\n  n: [1, 2]\n");
    ASSERT_EQ(cli({"run", "threads.yaml", "-j", "4", "-q"}).exit_code, 0);
    EXPECT_EQ(cli({"results", "--sweep", "threads", "--columns", "n,omp,cpus", "--format", "csv"}).out,
              "n,omp,cpus\n1,3.0,3.0\n2,3.0,3.0\n");
}

// Diagnostics go through one logger: bare on stderr by default (what the tests above compare),
// with the time on request (and inside Slurm jobs), at a chosen level, and into a log file with
// time and level.
TEST_F(Workflow, LogLevelsTimestampsAndLogFile) {
    test::write_text(work / "quick.yaml", quick_sweep);
    const auto plain = cli({"run", "quick.yaml", "--out", "a"});
    ASSERT_EQ(plain.exit_code, 0) << plain.err;
    EXPECT_EQ(test::split_lines(plain.err).at(0), "sweep quick: 6 jobs, 6 to run; index a/index.db");

    const auto stamped = cli({"--log-timestamps", "--log-file", "run.log", "run", "quick.yaml", "--out", "b"});
    ASSERT_EQ(stamped.exit_code, 0) << stamped.err;
    const std::regex time(R"(^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] sweep quick: 6 jobs, 6 to run; index b/index\.db$)");
    EXPECT_TRUE(std::regex_match(test::split_lines(stamped.err).at(0), time)) << stamped.err;
    const std::regex file_line(R"(^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[info\] sweep quick: 6 jobs, 6 to run; index b/index\.db$)");
    EXPECT_TRUE(std::regex_match(test::split_lines(test::read_text(work / "run.log")).at(0), file_line))
        << test::read_text(work / "run.log");

    // warn: the run's information is left out, its errors are not; the option may follow the verb.
    const auto quiet = cli({"run", "quick.yaml", "--out", "c", "--log-level", "warn"});
    ASSERT_EQ(quiet.exit_code, 0);
    EXPECT_EQ(quiet.err.find("sweep quick"), std::string::npos) << quiet.err;
    const auto missing = cli({"run", "missing.yaml", "--log-level", "warn"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_NE(missing.err.find("error: "), std::string::npos);
    const auto bad = cli({"--log-level", "loud", "status"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(bad.err, "error: --log-level: expected trace, debug, info, warn, error, critical or off, got 'loud'\n");

    // -v: every job's outcome (debug); -vv: also its dispatch (trace); -q: warnings and errors only.
    const std::regex outcome(R"(job [0-9a-f]{12} done on \S+ rank 0 in \d+\.\d{3} s)");
    const std::regex dispatch(R"(job [0-9a-f]{12} \(index \d+\) dispatched)");
    const auto count = [](const std::string& text, const std::regex& pattern) {
        return std::distance(std::sregex_iterator(text.begin(), text.end(), pattern), std::sregex_iterator());
    };
    const auto verbose = cli({"run", "quick.yaml", "--out", "d", "-v"});
    ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
    EXPECT_EQ(count(verbose.err, outcome), 6) << verbose.err;
    EXPECT_EQ(count(verbose.err, dispatch), 0) << verbose.err;
    const auto very = cli({"-vv", "run", "quick.yaml", "--out", "e"});
    EXPECT_EQ(count(very.err, outcome), 6) << very.err;
    EXPECT_EQ(count(very.err, dispatch), 6) << very.err;
    const auto silent = cli({"-q", "run", "quick.yaml", "--out", "f"});
    ASSERT_EQ(silent.exit_code, 0);
    EXPECT_EQ(silent.err, "");
    EXPECT_EQ(cli({"-q", "run", "missing.yaml"}).err.rfind("error: ", 0), 0u);
    // An explicit level wins.
    EXPECT_EQ(count(cli({"-q", "--log-level", "debug", "run", "quick.yaml", "--out", "g"}).err, outcome), 6);

    // run --log: one file per run in logs/ next to the index, keeping info lines when stderr is quiet.
    ASSERT_EQ(cli({"-q", "run", "quick.yaml", "--out", "h", "--log"}).err, "");
    std::vector<fs::path> logs;
    for (const auto& entry : fs::directory_iterator(work / "h" / "logs")) logs.push_back(entry.path());
    ASSERT_EQ(logs.size(), 1u);
    EXPECT_TRUE(std::regex_match(logs[0].filename().string(), std::regex(R"(run-\d{8}-\d{6}-.+-\d+\.log)")))
        << logs[0];
    EXPECT_NE(test::read_text(logs[0]).find("[info] sweep quick: 6 jobs, 6 to run; index h/index.db"), std::string::npos)
        << test::read_text(logs[0]);
}

// `a=0 or a=0.03` once printed an empty table with exit 0.
TEST_F(Workflow, OrQueryIsTheUnionOfTwoQueries) {
    test::write_text(work / "quick.yaml", quick_sweep);
    ASSERT_EQ(cli({"run", "quick.yaml", "-q"}).exit_code, 0);
    const auto keys = [&](const std::string& where) {
        const auto r = cli({"results", "--where", where, "--columns", "key", "--format", "csv"});
        EXPECT_EQ(r.exit_code, 0) << r.err;
        auto lines = test::split_lines(r.out);
        lines.erase(lines.begin());
        std::sort(lines.begin(), lines.end());
        return lines;
    };
    const auto a = keys("x=0"), b = keys("x=0.03"), either = keys("x=0 or x=0.03");
    EXPECT_EQ(a.size(), 2u);
    EXPECT_EQ(b.size(), 2u);
    std::vector<std::string> both;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    EXPECT_EQ(either, both);
    EXPECT_EQ(keys("x in (0, 0.03)"), both);
    EXPECT_EQ(keys("not (x=0 or x=0.03)").size(), 2u);
    const auto bad = cli({"results", "--where", "x=0 or"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_EQ(bad.err, "error: --where: incomplete input in 'x=0 or'\n");
    const auto grouped = cli({"results", "--where", "x != 0.03", "--group-by", "x", "--agg", "mean,count", "sum",
                              "--format", "csv"});
    EXPECT_EQ(grouped.out, "x,count,sum_mean,sum_count\n0.0,2,1.5,2\n0.5,2,2.0,2\n") << grouped.err;
}

TEST_F(Workflow, InfiniteMetricsStayRecognisable) {
    test::write_text(work / "inf.yaml", "name: inf\nmodel: testing.fail\ngrid:\n  mode: [ok, inf]\n");
    ASSERT_EQ(cli({"run", "inf.yaml", "-q"}).exit_code, 0);
    const auto json = cli({"results", "--columns", "mode,value_metric", "--format", "json"});
    EXPECT_EQ(Json::parse(json.out), Json::parse(R"([{"mode":"ok","value_metric":1.0},{"mode":"inf","value_metric":"inf"}])"));
    EXPECT_EQ(cli({"results", "--columns", "mode,value_metric", "--format", "csv"}).out, "mode,value_metric\nok,1.0\ninf,inf\n");
    EXPECT_EQ(cli({"results", "--where", "value_metric = inf", "--columns", "mode", "--format", "csv"}).out, "mode\ninf\n");
}

// An exec script fails; status shows why (its stderr), the fixed script's rerun says that the failed
// jobs are not retried and how, and --retry-failed runs them.
TEST_F(Workflow, FailFixRetry) {
    test::write_text(work / "train.sh",
                     "if [ \"$2\" = 0.5 ] && [ ! -e \"$3/fixed\" ]; then echo 'loading data' >&2; "
                     "echo 'ValueError: lr 0.5 diverged' >&2; exit 1; fi\n"
                     "echo '{\"metrics\": {\"loss\": 1}}' > \"$1\"\n");
    test::write_text(work / "lr.yaml", R"(name: lr
model: exec
command: ["/bin/sh", "{sweep_dir}/train.sh", "{output_file}", "{param:lr}", "{sweep_dir}"]
grid:
  lr: [0.1, 0.5]
  seed: [1, 2, 3]
)");
    const auto first = cli({"lr.yaml", "-q"});
    EXPECT_EQ(first.exit_code, 1);
    const auto status = cli({"status"});
    const auto lines = test::split_lines(status.out);
    ASSERT_GE(lines.size(), 5u) << status.out;
    EXPECT_EQ(lines[0], "lr: 3 done, 3 failed, 0 running, 0 pending");
    EXPECT_EQ(lines[1].rfind("  3 failed: ", 0), 0u) << lines[1];
    EXPECT_EQ(lines[3], "    | ValueError: lr 0.5 diverged") << status.out;

    test::write_text(work / "fixed", "");
    const auto plain = cli({"lr.yaml", "-q"});
    EXPECT_EQ(plain.exit_code, 1);
    const auto hint = cli({"lr.yaml"});
    EXPECT_NE(hint.err.find("3 jobs failed in an earlier run and are not retried: add --retry-failed"),
              std::string::npos) << hint.err;
    const auto retried = cli({"lr.yaml", "--retry-failed", "-q"});
    EXPECT_EQ(retried.exit_code, 0) << retried.err;
    EXPECT_EQ(cli({"status"}).out, "lr: 6 done, 0 failed, 0 running, 0 pending\n");
}

// A run that died without recording (SIGKILL, a lost node) leaves rows `running`; with no runner
// holding the index, status says they will be redone.
TEST_F(Workflow, StatusSeesAStaleRunningRow) {
    test::write_text(work / "quick.yaml", quick_sweep);
    ASSERT_EQ(cli({"run", "quick.yaml", "-q"}).exit_code, 0);
    {
        Store store((work / "results" / "index.db").string());
        store.connection().exec("UPDATE jobs SET status = 'running' WHERE idx < 2");
    }
    EXPECT_EQ(cli({"status"}).out,
              "quick: 4 done, 0 failed, 2 running, 0 pending\n"
              "  2 jobs marked running, but no sweep_runner holds the index (the run ended without recording "
              "them): the next run redoes them\n");
}

// Inserting a value shifts `index`, and seeds derived from it: a dry run says which done jobs an
// edit would retire, before anything runs; seeds from a seed axis survive the same edit.
TEST_F(Workflow, EditDryRunRun) {
    test::write_text(work / "quick.yaml", quick_sweep);
    ASSERT_EQ(cli({"quick.yaml", "-q"}).exit_code, 0);
    std::string edited = quick_sweep;
    edited.replace(edited.find("[0, 0.03"), 8, "[0, 0.01, 0.03");
    test::write_text(work / "quick.yaml", edited);
    const auto dry = cli({"run", "quick.yaml", "--dry-run"});
    ASSERT_EQ(dry.exit_code, 0) << dry.err;
    EXPECT_NE(dry.out.find("8 jobs, estimated cost"), std::string::npos) << dry.out;
    EXPECT_EQ(test::split_lines(dry.out).front(), "index  key           cost  seed  x     y") << dry.out;
    const auto lines = test::split_lines(dry.err);
    ASSERT_EQ(lines.size(), 2u) << dry.err;
    EXPECT_EQ(lines[0], "against results/index.db: 6 new, 2 done, 0 failed, 0 pending; 4 done jobs would be retired");
    EXPECT_EQ(lines[1].rfind("warning: this edit retires 4 done jobs", 0), 0u) << lines[1];
    EXPECT_EQ(cli({"status"}).out, "quick: 6 done, 0 failed, 0 running, 0 pending\n") << "a dry run changes nothing";
    const auto ran = cli({"quick.yaml", "-q"});
    EXPECT_NE(ran.err.find("warning: this edit retired 4 done jobs"), std::string::npos) << ran.err;
    EXPECT_EQ(cli({"status"}).out, "quick: 8 done, 0 failed, 0 running, 0 pending (4 retired)\n");

    // The seed as an axis of its own: the same insertion keeps every done job.
    test::write_text(work / "axis.yaml", "name: axis\nmodel: testing.arith\ngrid:\n  x: [0, 0.5]\n  seed: [7, 8]\n");
    ASSERT_EQ(cli({"axis.yaml", "-q"}).exit_code, 0);
    test::write_text(work / "axis.yaml", "name: axis\nmodel: testing.arith\ngrid:\n  x: [0, 0.25, 0.5]\n  seed: [7, 8]\n");
    const auto axis = cli({"expand", "axis.yaml", "--db", "results/index.db"});
    EXPECT_EQ(axis.err, "against results/index.db: 2 new, 4 done, 0 failed, 0 pending; 0 done jobs would be retired\n");
}

// verify finds a corrupted and a missing payload and the next run redoes those jobs; reset puts
// chosen jobs back; gc deletes what retired jobs left on disk.
TEST_F(Workflow, VerifyResetGc) {
    test::write_text(work / "quick.yaml", quick_sweep);
    ASSERT_EQ(cli({"quick.yaml", "-q"}).exit_code, 0);
    const auto path_of = [&](int index) {
        const auto r = cli({"results", "--where", "index=" + std::to_string(index), "--columns", "payload_path",
                            "--format", "csv"});
        return test::split_lines(r.out).at(1);
    };
    {
        std::ofstream corrupt(path_of(1), std::ios::app);
        corrupt << "x";
    }
    fs::remove(path_of(4));
    const auto verify = cli({"verify"});
    EXPECT_EQ(verify.exit_code, 1);
    EXPECT_EQ(test::split_lines(verify.out).front(), "6 payloads checked: 4 ok, 1 missing, 1 corrupt") << verify.out;
    EXPECT_EQ(cli({"status"}).out, "quick: 4 done, 0 failed, 0 running, 2 pending\n");
    const auto again = cli({"quick.yaml", "-q"});
    EXPECT_EQ(again.exit_code, 0) << again.err;
    EXPECT_EQ(cli({"verify"}).out, "6 payloads checked: 6 ok, 0 missing, 0 corrupt\n");

    const auto reset = cli({"reset", "--where", "x = 0.5"});
    EXPECT_EQ(reset.out, "quick: 2 jobs back to pending; the next run redoes them\n") << reset.err;
    EXPECT_EQ(cli({"status"}).out, "quick: 4 done, 0 failed, 0 running, 2 pending\n");
    ASSERT_EQ(cli({"quick.yaml", "-q"}).exit_code, 0);

    std::string fewer = quick_sweep;
    fewer.replace(fewer.find(", 0.5]"), 6, "]");
    test::write_text(work / "quick.yaml", fewer);
    ASSERT_EQ(cli({"quick.yaml", "-q"}).exit_code, 0);
    const auto gc = cli({"gc"});
    EXPECT_EQ(gc.out.rfind("removed 2 payloads and 0 job folders of retired jobs", 0), 0u) << gc.out << gc.err;
    std::size_t h5 = 0;
    for (const auto& e : fs::recursive_directory_iterator(work / "results" / "quick")) h5 += e.path().extension() == ".h5";
    EXPECT_EQ(h5, 4u);
    EXPECT_EQ(cli({"verify"}).out, "4 payloads checked: 4 ok, 0 missing, 0 corrupt\n");
}

TEST_F(Workflow, ModelsNameListsOneModel) {
    const auto json = cli({"models", "testing.fail", "--json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const Json models = Json::parse(json.out);
    ASSERT_EQ(models.size(), 1u);
    EXPECT_EQ(models[0]["name"], "testing.fail");
    EXPECT_EQ(models[0]["params"][1]["name"], "value");
    EXPECT_EQ(models[0]["params"][1]["type"], "real");
    EXPECT_EQ(cli({"models", "testing.fail"}).out.rfind("testing.fail (version 1): ", 0), 0u);
    EXPECT_EQ(cli({"models", "nope"}).err, "error: no model named 'nope' (see: sweep_runner models)\n");
}

}  // namespace
}  // namespace sr
