// `mpirun -n N sweep_runner run`: the same results as threads, nothing lost or repeated when a
// worker rank is killed or the run is stopped by SIGTERM, failures recorded with their reasons.
#include "core/sha256.hpp"
#include "db/payload.hpp"
#include "db/store.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <csignal>
#include <fstream>
#include <map>
#include <set>
#include <thread>

namespace sr {
namespace {

namespace fs = std::filesystem;
using namespace sr::testing;
using namespace std::chrono_literals;

struct Row {
    std::string status;
    int attempts = 0;
    int rank = 0;
    double finished = 0;
    std::string error, payload, sha;
    std::map<std::string, double> metrics;
};

std::map<std::string, Row> read_jobs(const fs::path& db_path) {
    Store store(db_path.string(), true);
    std::map<std::string, Row> rows;
    auto select = store.connection().prepare(
        "SELECT key, status, attempts, coalesce(rank, -1), coalesce(finished, 0), coalesce(error, ''), "
        "coalesce(payload_path, ''), coalesce(payload_sha256, ''), id FROM jobs");
    auto metrics = store.connection().prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    while (select.step()) {
        Row r{select.get_text(1), static_cast<int>(select.get_int(2)), static_cast<int>(select.get_int(3)),
              select.get_double(4), select.get_text(5), store.resolve_path(select.get_text(6)), select.get_text(7), {}};
        metrics.bind(1, select.get_int(8));
        while (metrics.step()) r.metrics[metrics.get_text(0)] = metrics.get_double(1);
        metrics.reset();
        rows[select.get_text(0)] = r;
    }
    return rows;
}

std::string sleep_sweep(const std::string& name, int jobs, double seconds) {
    std::string tags;
    for (int i = 0; i < jobs; ++i) tags += (i ? ", " : "") + std::to_string(i);
    return "name: " + name + "\nmodel: testing.sleep\nparams: {seconds: " + std::to_string(seconds) +
           "}\ngrid:\n  tag: [" + tags + "]\n";
}

// Every done job has its payload, with the recorded checksum; nothing half-written is left.
void expect_consistent(const fs::path& out, const std::map<std::string, Row>& rows) {
    for (const auto& [key, row] : rows) {
        EXPECT_NE(row.status, "running") << key;
        if (row.status != "done") continue;
        ASSERT_TRUE(fs::exists(row.payload)) << key;
        EXPECT_EQ(sha256_file(row.payload), row.sha) << key;
    }
    for (const auto& entry : fs::recursive_directory_iterator(out)) {
        EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
    }
}

// Finds the pid of the sweep_runner process of MPI rank `rank` working on `marker` (a path).
pid_t find_rank(int rank, const std::string& marker) {
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream cmdline(entry.path() / "cmdline");
        std::string args((std::istreambuf_iterator<char>(cmdline)), {});
        if (args.find(marker) == std::string::npos || args.rfind("mpirun", 0) == 0) continue;
        std::ifstream environ(entry.path() / "environ");
        std::string env((std::istreambuf_iterator<char>(environ)), {});
        if (env.find(std::string("OMPI_COMM_WORLD_RANK=") + std::to_string(rank) + '\0') != std::string::npos) {
            return static_cast<pid_t>(std::stoi(name));
        }
    }
    return -1;
}

std::size_t count_status(const std::map<std::string, Row>& rows, const std::string& status) {
    std::size_t n = 0;
    for (const auto& [key, row] : rows) n += row.status == status;
    return n;
}

class Mpi : public ::testing::Test {
protected:
    void SetUp() override {
        if (!have_mpirun()) GTEST_SKIP() << "mpirun not installed";
        mpi_environment();
    }

    std::vector<std::string> run_args(int ranks, const fs::path& sweep, const fs::path& out,
                                      std::vector<std::string> extra = {}) const {
        std::vector<std::string> argv = mpirun(ranks);
        for (std::string a : {binary(), std::string("run"), sweep.string(), std::string("--out"), out.string(),
                              std::string("-q")}) {
            argv.push_back(a);
        }
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }

    TempDir dir;
};

TEST_F(Mpi, FourRanksGiveBitwiseTheResultsOfThreads) {
    const fs::path sweep = dir / "arith.yaml";
    write_file(sweep,
               "name: arith\nmodel: testing.arith\nparams: {length: 16}\ngrid:\n"
               "  x: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.1, 1.2, 1.3, 1.4, 1.5, 1.6, 1.7, 1.8,"
               " 1.9, 2.0, 2.1, 2.2, 2.3, 2.4, 2.5]\n"
               "  seed: [11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31]\n");
    const ProcessResult local = run_process({binary(), "run", sweep.string(), "--out", (dir / "local").string(),
                                             "-j", "2", "-q"});
    ASSERT_EQ(local.exit_code, 0) << local.err;
    const ProcessResult mpi = run_process(run_args(4, sweep, dir / "mpi"));
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;

    const auto threads = read_jobs(dir / "local" / "index.db");
    const auto ranks = read_jobs(dir / "mpi" / "index.db");
    ASSERT_EQ(ranks.size(), 525u);
    ASSERT_EQ(threads.size(), ranks.size());
    std::set<int> used_ranks;
    for (const auto& [key, row] : ranks) {
        const Row& reference = threads.at(key);
        EXPECT_EQ(row.status, "done");
        EXPECT_EQ(row.attempts, 1) << "run exactly once";
        used_ranks.insert(row.rank);
        EXPECT_EQ(row.metrics, reference.metrics) << key;  // bitwise: doubles compared exactly
        const Array a = read_payload_array(row.payload, "series");
        const Array b = read_payload_array(reference.payload, "series");
        EXPECT_EQ(a.shape, b.shape);
        EXPECT_EQ(a.reals(), b.reals()) << key;
    }
    EXPECT_EQ(used_ranks, (std::set<int>{1, 2, 3})) << "rank 0 coordinates, the workers run";
    expect_consistent(dir / "mpi", ranks);
}

TEST_F(Mpi, KilledWorkerRankThenRerunCompletesWithoutRepeats) {
    const fs::path sweep = dir / "sleepy.yaml";
    write_file(sweep, sleep_sweep("sleepy", 150, 0.03));
    const pid_t pid = start_process(run_args(4, sweep, dir / "out"), dir / "logs1");
    pid_t victim = -1;
    for (int i = 0; i < 100 && victim < 0; ++i) {
        std::this_thread::sleep_for(20ms);
        victim = find_rank(2, sweep.string());
    }
    ASSERT_GT(victim, 0) << "worker rank 2 not found";
    std::this_thread::sleep_for(700ms);  // mid-sweep: 150 jobs x 30 ms over 3 workers take ~1.5 s
    kill(victim, SIGKILL);
    EXPECT_NE(wait_process(pid), 0) << "a dead worker rank takes the MPI job down";

    const auto before = read_jobs(dir / "out" / "index.db");
    const std::size_t done_before = count_status(before, "done");
    EXPECT_GT(done_before, 0u);
    EXPECT_LT(done_before, 150u);

    const ProcessResult rerun = run_process(run_args(4, sweep, dir / "out"));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    const auto after = read_jobs(dir / "out" / "index.db");
    EXPECT_EQ(count_status(after, "done"), 150u);
    for (const auto& [key, row] : before) {
        if (row.status == "done") {
            EXPECT_EQ(after.at(key).finished, row.finished) << "completed job was run again: " << key;
            EXPECT_EQ(after.at(key).attempts, 1);
        }
    }
    expect_consistent(dir / "out", after);
}

TEST_F(Mpi, SigtermStopsPromptlyAndRerunCompletes) {
    const fs::path sweep = dir / "long.yaml";
    write_file(sweep, sleep_sweep("long", 12, 1.0));
    const pid_t pid = start_process(run_args(3, sweep, dir / "out"), dir / "logs1");
    std::this_thread::sleep_for(2500ms);
    const auto start = std::chrono::steady_clock::now();
    kill(pid, SIGTERM);  // mpirun forwards it to every rank
    const int code = wait_process(pid);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_NE(code, 0);
    EXPECT_LT(seconds, 5.0);

    const auto stopped = read_jobs(dir / "out" / "index.db");
    EXPECT_EQ(count_status(stopped, "running"), 0u) << "in-flight jobs go back to pending";
    EXPECT_EQ(count_status(stopped, "failed"), 0u);
    EXPECT_GT(count_status(stopped, "done"), 0u);
    EXPECT_GT(count_status(stopped, "pending"), 0u);
    expect_consistent(dir / "out", stopped);

    const ProcessResult rerun = run_process(run_args(3, sweep, dir / "out"));
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    const auto after = read_jobs(dir / "out" / "index.db");
    EXPECT_EQ(count_status(after, "done"), 12u);
    for (const auto& [key, row] : stopped) {
        if (row.status == "done") {
            EXPECT_EQ(after.at(key).finished, row.finished) << key;
        }
    }
}

TEST_F(Mpi, ExceptionAndTimeoutAreRecordedWhileOthersComplete) {
    const fs::path failing = dir / "failing.yaml";
    write_file(failing,
               "name: failing\nmodel: testing.fail\ngrid:\n  mode: [ok, throw, nan, inf]\n"
               "  value: [1, 2, 3, 4, 5, 6, 7, 8]\n");
    const ProcessResult fail_run = run_process(run_args(3, failing, dir / "out"));
    EXPECT_EQ(fail_run.exit_code, 1) << "not every job succeeded";
    std::map<std::string, int> by_error;
    for (const auto& [key, row] : read_jobs(dir / "out" / "index.db")) {
        // An infinite metric is a result (it crosses MPI as "inf"); NaN is a failure.
        if (row.status == "done" && std::isinf(row.metrics.at("value"))) ++by_error["inf"];
        else if (row.status == "done") ++by_error["done"];
        else if (row.error.rfind("failing on request", 0) == 0) ++by_error["throw"];
        else if (row.error == "metric 'value' is NaN") ++by_error["nan"];
        else ADD_FAILURE() << "unexpected: " << row.status << " " << row.error;
    }
    EXPECT_EQ(by_error, (std::map<std::string, int>{{"done", 8}, {"inf", 8}, {"nan", 8}, {"throw", 8}}));

    const fs::path slow = dir / "slow.yaml";
    write_file(slow, "name: slow\nmodel: testing.sleep\ngrid:\n  seconds: [0.01, 5.0]\n  tag: [1, 2, 3]\n");
    const auto start = std::chrono::steady_clock::now();
    const ProcessResult slow_run = run_process(run_args(3, slow, dir / "out", {"--timeout", "0.3"}));
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 4.5);
    EXPECT_EQ(slow_run.exit_code, 1);
    int done = 0, timed_out = 0;
    Store store((dir / "out" / "index.db").string(), true);
    auto select = store.connection().prepare(
        "SELECT status, coalesce(error, ''), json_extract(params, '$.seconds') FROM jobs j "
        "JOIN sweeps s ON s.id = j.sweep_id WHERE s.name = 'slow'");
    while (select.step()) {
        if (select.get_double(2) < 1) {
            EXPECT_EQ(select.get_text(0), "done");
            ++done;
        } else {
            EXPECT_EQ(select.get_text(0), "failed");
            EXPECT_EQ(select.get_text(1), "timeout: exceeded 0.3 s");
            ++timed_out;
        }
    }
    EXPECT_EQ(done, 3);
    EXPECT_EQ(timed_out, 3);
}

// The command the service is specified by, literally: `mpirun -n N sweep_runner SWEEP.yaml` (no
// verb), in the sweep file's folder, into the default results/index.db.
TEST_F(Mpi, NoVerbUnderMpirunRunsTheSweep) {
    write_file(dir / "noverb.yaml", sleep_sweep("noverb", 6, 0.0));
    std::vector<std::string> argv = mpirun(3);
    argv.push_back(binary());
    argv.push_back("noverb.yaml");
    const ProcessResult r = run_process(argv, dir.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto rows = read_jobs(dir / "results" / "index.db");
    ASSERT_EQ(rows.size(), 6u);
    std::set<int> ranks;
    for (const auto& [key, row] : rows) {
        EXPECT_EQ(row.status, "done") << key;
        ranks.insert(row.rank);
    }
    EXPECT_EQ(ranks.count(0), 0u) << "rank 0 coordinates: the run was an MPI run";
}

}  // namespace
}  // namespace sr
