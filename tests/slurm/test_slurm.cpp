// Slurm: `submit --dry-run` scripts (golden files), shards and merge, walltime awareness, and, on a
// real single-node Slurm started here, MPI and array submissions giving bitwise the results of a
// local run, and checkpointing jobs that complete after their allocation's time limit and requeue.
#include "db/payload.hpp"
#include "db/store.hpp"
#include "scheduler/run.hpp"
#include "slurm/slurm.hpp"
#include "slurm_cluster.hpp"
#include "support/process.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

namespace sr {
namespace {

namespace fs = std::filesystem;
using namespace sr::testing;

struct Row {
    std::string status, error, payload;
    int attempts = 0;
    std::map<std::string, double> metrics;
    Json params;
};

// Jobs of one sweep by key.
std::map<std::string, Row> read_jobs(const fs::path& db_path, const std::string& sweep) {
    Store store(db_path.string(), true);
    std::map<std::string, Row> rows;
    auto select = store.connection().prepare(
        "SELECT j.key, j.status, coalesce(j.error, ''), coalesce(j.payload_path, ''), j.attempts, j.params, j.id "
        "FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE s.name = ?");
    auto metrics = store.connection().prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    select.bind(1, sweep);
    while (select.step()) {
        Row r{select.get_text(1), select.get_text(2), store.resolve_path(select.get_text(3)), static_cast<int>(select.get_int(4)), {},
              Json::parse(select.get_text(5))};
        metrics.bind(1, select.get_int(6));
        while (metrics.step()) r.metrics[metrics.get_text(0)] = metrics.get_double(1);
        metrics.reset();
        rows[select.get_text(0)] = r;
    }
    return rows;
}

std::string read_text(const fs::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
        text.replace(pos, from.size(), to);
    }
    return text;
}

// Same jobs (by key), all done, bitwise the same metrics and payload datasets.
void expect_same_results(const std::map<std::string, Row>& got, const std::map<std::string, Row>& reference,
                         const std::vector<std::string>& datasets) {
    ASSERT_EQ(got.size(), reference.size());
    for (const auto& [key, row] : got) {
        ASSERT_TRUE(reference.count(key)) << key;
        const Row& ref = reference.at(key);
        EXPECT_EQ(row.status, "done") << key << ": " << row.error;
        EXPECT_EQ(row.metrics, ref.metrics) << key;  // doubles compared exactly
        for (const std::string& name : datasets) {
            if (row.status != "done") continue;
            const Array a = read_payload_array(row.payload, name);
            const Array b = read_payload_array(ref.payload, name);
            EXPECT_EQ(a.shape, b.shape) << key;
            EXPECT_EQ(a.reals(), b.reals()) << key << " " << name;
        }
    }
}

const char* const arith_sweep =
    "name: arith\nmodel: testing.arith\nparams: {length: 12}\ngrid:\n"
    "  x: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]\n  seed: [11, 12, 13]\n";

ProcessResult cli(const std::vector<std::string>& args, const fs::path& cwd) {
    std::vector<std::string> argv = {binary()};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_process(argv, cwd);
}

// ---------------------------------------------------------------------------------------------
// Without Slurm.

// The scripts `submit --dry-run` prints, with the test folder as $DIR and the binary as $BIN.
// SR_UPDATE_GOLDEN=1 rewrites tests/data/slurm/*.sh.
TEST(SlurmScripts, DryRunMatchesGoldenFiles) {
    TempDir dir;
    write_file(dir / "arith.yaml", arith_sweep);
    const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
        {"mpi.sh",
         {"submit", "arith.yaml", "--dry-run", "--ranks", "8", "--time", "02:00:00", "--partition", "compute",
          "--account", "proj42", "--mem", "4G", "--retries", "1", "--timeout", "600"}},
        {"mpi_srun.sh", {"submit", "arith.yaml", "--dry-run", "--ranks", "4", "--launcher", "srun", "--grace", "300",
                         "--sbatch-arg=--qos=debug", "--sbatch-arg=--constraint=ib", "--db", "db/sweeps.db"}},
        {"array.sh",
         {"submit", "arith.yaml", "--dry-run", "--array", "--shards", "7", "--max-parallel", "2",
          "--max-array-size", "3", "--cpus-per-task", "2", "--time", "00:30:00", "--max-requeues", "3",
          // overrides reach the array tasks and the merge alike
          "--set", "length=8", "--grid", "seed=11,12"}},
    };
    for (const auto& [golden, args] : cases) {
        const ProcessResult r = cli(args, dir.path());
        ASSERT_EQ(r.exit_code, 0) << golden << ": " << r.err;
        std::string got = replace_all(r.out, binary(), "$BIN");
        got = replace_all(got, fs::canonical(dir.path()).string(), "$DIR");  // the working directory
        got = replace_all(got, dir.path().string(), "$DIR");
        const fs::path file = source_dir() / "tests" / "data" / "slurm" / golden;
        if (std::getenv("SR_UPDATE_GOLDEN") != nullptr) write_file(file, got);
        EXPECT_EQ(got, read_text(file)) << golden << " differs; SR_UPDATE_GOLDEN=1 rewrites it";
        // The scripts are written under the results folder too.
        EXPECT_TRUE(fs::exists(dir / "results" / "slurm")) << golden;
    }
}

// resources.cpus reaches the scripts: each MPI rank (one job at a time) and each array task gets
// at least that many cores.
TEST(SlurmScripts, JobCoresBecomeCpusPerTask) {
    TempDir dir;
    write_file(dir / "cores.yaml", std::string(arith_sweep) + "resources: {cpus: 4}\n");
    const ProcessResult mpi = cli({"submit", "cores.yaml", "--dry-run", "--ranks", "3"}, dir.path());
    ASSERT_EQ(mpi.exit_code, 0) << mpi.err;
    EXPECT_NE(mpi.out.find("#SBATCH --ntasks=3\n#SBATCH --cpus-per-task=4\n"), std::string::npos) << mpi.out;
    const ProcessResult array =
        cli({"submit", "cores.yaml", "--dry-run", "--array", "--shards", "2", "--cpus-per-task", "2"}, dir.path());
    ASSERT_EQ(array.exit_code, 0) << array.err;
    EXPECT_NE(array.out.find("#SBATCH --cpus-per-task=4\n"), std::string::npos) << array.out;
    const ProcessResult wider =
        cli({"submit", "cores.yaml", "--dry-run", "--array", "--shards", "2", "--cpus-per-task", "8"}, dir.path());
    EXPECT_NE(wider.out.find("#SBATCH --cpus-per-task=8\n"), std::string::npos) << wider.out;
    // A block's resources win over the sweep's; the scripts ask for the largest.
    write_file(dir / "blocks.yaml", std::string(arith_sweep) + "resources: {cpus: 2}\nblocks:\n  - {name: small}\n"
                                                              "  - {name: big, params: {length: 8}, resources: {cpus: 6}}\n");
    const ProcessResult blocks = cli({"submit", "blocks.yaml", "--dry-run", "--ranks", "3"}, dir.path());
    ASSERT_EQ(blocks.exit_code, 0) << blocks.err;
    EXPECT_NE(blocks.out.find("#SBATCH --cpus-per-task=6\n"), std::string::npos) << blocks.out;
    // Without resources, MPI scripts ask for no cores per task (the site's default).
    write_file(dir / "arith.yaml", arith_sweep);
    EXPECT_EQ(cli({"submit", "arith.yaml", "--dry-run"}, dir.path()).out.find("--cpus-per-task"), std::string::npos);
}

TEST(SlurmScripts, ParsesSqueueTimeLeft) {
    EXPECT_EQ(slurm::parse_time_left("1-02:03:04"), 86400 + 2 * 3600 + 3 * 60 + 4);
    EXPECT_EQ(slurm::parse_time_left("2:03:04\n"), 2 * 3600 + 3 * 60 + 4);
    EXPECT_EQ(slurm::parse_time_left("3:04"), 3 * 60 + 4);
    EXPECT_EQ(slurm::parse_time_left("45"), 45);
    EXPECT_EQ(slurm::parse_time_left("UNLIMITED"), std::nullopt);
    EXPECT_EQ(slurm::parse_time_left("INVALID"), std::nullopt);
    EXPECT_EQ(slurm::parse_time_left(""), std::nullopt);
    EXPECT_EQ(slurm::parse_time_left("1:x"), std::nullopt);
}

// `run --shard i/M` for every i, then `merge` (twice: idempotent): the index holds what a plain
// local run gives, and each job ran once.
TEST(SlurmScripts, ShardsAndMergeEqualALocalRun) {
    TempDir dir;
    write_file(dir / "arith.yaml", arith_sweep);
    ASSERT_EQ(cli({"run", "arith.yaml", "--out", "local", "-q", "-j", "2"}, dir.path()).exit_code, 0);
    std::size_t total = 0;
    for (int i = 0; i < 4; ++i) {
        const ProcessResult r =
            cli({"run", "arith.yaml", "--out", "sharded", "-q", "-j", "1", "--shard", std::to_string(i) + "/4"}, dir.path());
        ASSERT_EQ(r.exit_code, 0) << r.err;
        const auto shard = read_jobs(dir / "sharded" / ("index.db.shard-" + std::to_string(i) + "-of-4.db"), "arith");
        EXPECT_EQ(shard.size(), i < 1 ? 6u : 5u) << "21 jobs: positions i, i+4, ...";
        total += shard.size();
    }
    EXPECT_EQ(total, 21u);
    // Before the merge, `status` on the index (registered as submit registers it) sees the shards'
    // work beside it.
    {
        const auto expanded = load_and_expand(dir / "arith.yaml", {}, builtin_models());
        ASSERT_TRUE(expanded);
        Store index((dir / "sharded" / "index.db").string());
        index.register_jobs(index.register_sweep("arith", "arith.yaml", expanded->spec.text), expanded->jobs);
    }
    const ProcessResult before = cli({"status", "sharded/index.db"}, dir.path());
    EXPECT_EQ(before.out, "arith: 0 done, 0 failed, 0 running, 21 pending\n"
                          "  in 4 shard databases, not merged yet: 21 done, 0 failed (sweep_runner merge folds them in)\n")
        << before.err;
    const Json unmerged = Json::parse(cli({"status", "sharded/index.db", "--json"}, dir.path()).out).at(0)["unmerged"];
    EXPECT_EQ(unmerged, Json({{"shard_databases", 4}, {"done", 21}, {"failed", 0}}));
    for (int round = 0; round < 2; ++round) {
        const ProcessResult m = cli({"merge", "arith.yaml", "--out", "sharded"}, dir.path());
        ASSERT_EQ(m.exit_code, 0) << m.err;
        EXPECT_NE(m.out.find(round == 0 ? "21 jobs updated" : "0 jobs updated"), std::string::npos) << m.out;
        const auto merged = read_jobs(dir / "sharded" / "index.db", "arith");
        expect_same_results(merged, read_jobs(dir / "local" / "index.db", "arith"), {"series"});
        for (const auto& [key, row] : merged) EXPECT_EQ(row.attempts, 1) << key;
    }
    EXPECT_EQ(cli({"status", "sharded/index.db"}, dir.path()).out, "arith: 21 done, 0 failed, 0 running, 0 pending\n");
    // A shard run again skips what the main index has done.
    const ProcessResult again = cli({"run", "arith.yaml", "--out", "sharded", "--shard", "1/4"}, dir.path());
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_NE(again.err.find("0 to run"), std::string::npos) << again.err;
    EXPECT_EQ(cli({"run", "arith.yaml", "--shard", "4/4"}, dir.path()).exit_code, 2);
}

// Inside an allocation (SLURM_JOB_ID set; squeue here is a stand-in printing 0:05): a job estimated
// longer than the time left is not started, once finished jobs of its model give an estimate.
TEST(SlurmScripts, DoesNotStartJobsLongerThanTheAllocationHasLeft) {
    TempDir dir;
    write_file(dir / "bin" / "squeue", "#!/bin/sh\necho 0:05\n");
    fs::permissions(dir / "bin" / "squeue", fs::perms::owner_all);
    write_file(dir / "first.yaml", "name: first\nmodel: testing.sleep\ngrid:\n  seconds: [0.2, 0.3]\n");
    write_file(dir / "second.yaml",
               "name: second\nmodel: testing.sleep\ngrid:\n  seconds: [0.1, 60.0]\n  tag: [1, 2]\n");
    const std::string path = (dir / "bin").string() + ":" + std::getenv("PATH");
    const ProcessResult no_estimate = run_process(
        {"env", "SLURM_JOB_ID=4242", "PATH=" + path, binary(), "run", "first.yaml", "-q"}, dir.path());
    ASSERT_EQ(no_estimate.exit_code, 0) << "no estimate yet: everything starts\n" << no_estimate.err;
    const auto start = std::chrono::steady_clock::now();
    const ProcessResult r = run_process(
        {"env", "SLURM_JOB_ID=4242", "PATH=" + path, binary(), "run", "second.yaml", "-j", "2"}, dir.path());
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 10.0);
    EXPECT_EQ(r.exit_code, 3) << "stopped before the sweep finished: requeue\n" << r.err;
    EXPECT_NE(r.err.find("not starting testing.sleep jobs"), std::string::npos) << r.err;
    // A batch log's lines carry their time (inside a Slurm job).
    EXPECT_TRUE(std::regex_search(r.err, std::regex(R"((^|\n)\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] not starting testing\.sleep jobs)")))
        << r.err;
    for (const auto& [key, row] : read_jobs(dir / "results" / "index.db", "second")) {
        const bool is_long = row.params.at("seconds").get<double>() > 1;
        EXPECT_EQ(row.status, is_long ? "pending" : "done") << row.params.dump();
        EXPECT_EQ(row.attempts, is_long ? 0 : 1);
    }
}

// Checkpoints without Slurm: SIGTERM mid-job saves them next to the payloads, the jobs go back to
// pending, and the rerun resumes them to bitwise the results of an uninterrupted run.
TEST(SlurmScripts, SigtermCheckpointsAndTheRerunResumesBitwise) {
    TempDir dir;
    write_file(dir / "long.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 300, step_seconds: 0.01}\ngrid:\n  seed: [7, 8]\n");
    write_file(dir / "quick.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 300, step_seconds: 0.0}\ngrid:\n  seed: [7, 8]\n");
    ASSERT_EQ(cli({"run", "quick.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    const pid_t pid = start_process({binary(), "run", "long.yaml", "--out", "out", "-q", "-j", "2"}, dir / "logs",
                                    dir.path());
    // Both jobs under way (recorded running), a little into their 3 s.
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < end) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (!fs::exists(dir / "out" / "index.db")) continue;
        std::size_t running = 0;
        for (const auto& [key, row] : read_jobs(dir / "out" / "index.db", "long")) running += row.status == "running";
        if (running == 2) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    signal_group(pid, SIGTERM);
    EXPECT_EQ(wait_process(pid), 3);
    const auto stopped = read_jobs(dir / "out" / "index.db", "long");
    ASSERT_EQ(stopped.size(), 2u);
    for (const auto& [key, row] : stopped) {
        EXPECT_EQ(row.status, "pending") << key;
        EXPECT_EQ(row.error, "stopped on request; checkpoint saved") << key;
        EXPECT_TRUE(fs::exists(dir / "out" / "long" / key.substr(0, 2) / (key + ".ckpt"))) << key;
    }
    const ProcessResult rerun = cli({"run", "long.yaml", "--out", "out", "-q", "-j", "2"}, dir.path());
    ASSERT_EQ(rerun.exit_code, 0) << rerun.err;
    EXPECT_NE(rerun.err.find("resumed from checkpoint"), std::string::npos) << rerun.err;
    const auto rows = read_jobs(dir / "out" / "index.db", "long");
    const auto reference = read_jobs(dir / "local" / "index.db", "long");
    std::map<long long, const Row*> by_seed;
    for (const auto& [key, row] : reference) by_seed[row.params.at("seed").get<long long>()] = &row;
    for (const auto& [key, row] : rows) {
        const Row& ref = *by_seed.at(row.params.at("seed").get<long long>());
        EXPECT_EQ(row.status, "done") << key;
        EXPECT_EQ(row.metrics, ref.metrics) << key;
        EXPECT_EQ(read_payload_array(row.payload, "trace").reals(), read_payload_array(ref.payload, "trace").reals());
        EXPECT_FALSE(fs::exists(dir / "out" / "long" / key.substr(0, 2) / (key + ".ckpt"))) << "removed once done";
    }
}

// ---------------------------------------------------------------------------------------------
// On a real Slurm.

class Slurm : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (const auto why = SlurmCluster::missing()) {
            skip_reason_ = *why;
            return;
        }
        try {
            cluster_ = std::make_unique<SlurmCluster>();
        } catch (const std::exception& e) {
            start_error_ = e.what();
        }
    }
    static void TearDownTestSuite() { cluster_.reset(); }

    void SetUp() override {
        if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;
        ASSERT_TRUE(cluster_) << "Slurm did not start: " << start_error_;
        mpi_environment();  // exported to the jobs (sbatch --export=ALL): Open MPI as root, loopback
    }

    // MPI mode needs a binary built with MPI, and mpirun.
    bool mpi_unavailable() const {
#ifdef SR_TEST_WITH_MPI
        return !have_mpirun();
#else
        return true;
#endif
    }

    // Submits; returns the Slurm job ids printed.
    std::vector<std::string> submit(const std::vector<std::string>& args) {
        const ProcessResult r = cli(args, dir.path());
        EXPECT_EQ(r.exit_code, 0) << r.err << r.out;
        std::vector<std::string> ids;
        static const std::regex line(R"(submitted \w+ job (\d+):)");
        for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it) ids.push_back((*it)[1]);
        return ids;
    }

    std::string slurm_output(const fs::path& out) {
        std::string all;
        for (const auto& entry : fs::directory_iterator(out / "slurm")) {
            if (entry.path().extension() == ".out") all += "=== " + entry.path().filename().string() + "\n" + read_text(entry.path());
        }
        return all;
    }

    static std::unique_ptr<SlurmCluster> cluster_;
    static std::string skip_reason_, start_error_;
    TempDir dir;
};

std::unique_ptr<SlurmCluster> Slurm::cluster_;
std::string Slurm::skip_reason_;
std::string Slurm::start_error_;

TEST_F(Slurm, MpiModeGivesBitwiseTheResultsOfALocalRun) {
    if (mpi_unavailable()) GTEST_SKIP() << "MPI mode: built without MPI or mpirun missing";
    write_file(dir / "arith.yaml", arith_sweep);
    ASSERT_EQ(cli({"run", "arith.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    // 3 ranks on this machine's CPUs: --overcommit lets Slurm place more tasks than CPUs.
    const auto ids = submit({"submit", "arith.yaml", "--out", "mpi", "--ranks", "3", "--time", "00:05:00",
                             "--sbatch-arg=--overcommit"});
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 90)) << slurm_output(dir / "mpi") << cluster_->logs();
    const auto rows = read_jobs(dir / "mpi" / "index.db", "arith");
    expect_same_results(rows, read_jobs(dir / "local" / "index.db", "arith"), {"series"});
    EXPECT_NE(slurm_output(dir / "mpi").find("allocation: "), std::string::npos) << "time left read from squeue";
    const ProcessResult status = cli({"status", "mpi/index.db"}, dir.path());
    EXPECT_NE(status.out.find("21 done"), std::string::npos) << status.out;
    EXPECT_NE(status.out.find("slurm jobs: " + ids[0]), std::string::npos) << status.out;
    if (HasFailure()) ADD_FAILURE() << slurm_output(dir / "mpi");
}

// The same under srun (PMIx) instead of mpirun.
TEST_F(Slurm, MpiModeUnderSrun) {
    if (mpi_unavailable()) GTEST_SKIP() << "MPI mode: built without MPI or mpirun missing";
    write_file(dir / "arith.yaml", arith_sweep);
    ASSERT_EQ(cli({"run", "arith.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    const auto ids = submit({"submit", "arith.yaml", "--out", "srun", "--ranks", "3", "--launcher", "srun",
                             "--time", "00:05:00", "--sbatch-arg=--overcommit"});
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 90)) << slurm_output(dir / "srun") << cluster_->logs();
    const auto rows = read_jobs(dir / "srun" / "index.db", "arith");
    expect_same_results(rows, read_jobs(dir / "local" / "index.db", "arith"), {"series"});
    Store store((dir / "srun" / "index.db").string(), true);
    auto ranks = store.connection().prepare("SELECT count(DISTINCT rank) FROM jobs");
    ranks.step();
    EXPECT_EQ(ranks.get_int(0), 2) << "ranks 1 and 2 ran the jobs";
    if (HasFailure()) ADD_FAILURE() << slurm_output(dir / "srun");
}

TEST_F(Slurm, ArrayModeGivesBitwiseTheResultsOfALocalRun) {
    write_file(dir / "arith.yaml", arith_sweep);
    ASSERT_EQ(cli({"run", "arith.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    // 6 shards with the cluster's MaxArraySize 4: two arrays, at most 2 tasks at once, then the merge.
    const auto ids = submit({"submit", "arith.yaml", "--out", "array", "--array", "--shards", "6", "--max-parallel",
                             "2", "--time", "00:05:00"});
    ASSERT_EQ(ids.size(), 3u) << "two arrays and a merge job";
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 120)) << slurm_output(dir / "array") << cluster_->logs();
    EXPECT_EQ(slurm::find_shards(dir / "array" / "index.db").size(), 6u);
    const auto rows = read_jobs(dir / "array" / "index.db", "arith");
    expect_same_results(rows, read_jobs(dir / "local" / "index.db", "arith"), {"series"});
    for (const auto& [key, row] : rows) EXPECT_EQ(row.attempts, 1) << key;
    // Each task read its time left from squeue (as <array id>_<task id>).
    const std::string log = slurm_output(dir / "array");
    std::size_t tasks_with_time = 0;
    for (std::size_t pos = 0; (pos = log.find("allocation: ", pos)) != std::string::npos; ++pos) ++tasks_with_time;
    EXPECT_EQ(tasks_with_time, 6u) << log;
    const ProcessResult status = cli({"status", "array/index.db"}, dir.path());
    EXPECT_NE(status.out.find("slurm jobs: " + ids[0] + " " + ids[1] + " " + ids[2]), std::string::npos) << status.out;
    if (HasFailure()) ADD_FAILURE() << slurm_output(dir / "array");
}

// In a one-minute allocation, with estimates from finished jobs of the model in the index, a job
// estimated at two minutes is not started; the others run.
TEST_F(Slurm, JobsLongerThanTheTimeLeftDoNotStart) {
    if (mpi_unavailable()) GTEST_SKIP() << "MPI mode: built without MPI or mpirun missing";
    write_file(dir / "first.yaml", "name: first\nmodel: testing.sleep\ngrid:\n  seconds: [0.2, 0.3]\n");
    write_file(dir / "second.yaml", "name: second\nmodel: testing.sleep\ngrid:\n  seconds: [0.1, 120.0]\n");
    ASSERT_EQ(cli({"run", "first.yaml", "--out", "out", "-q"}, dir.path()).exit_code, 0);
    const auto ids = submit({"submit", "second.yaml", "--out", "out", "--ranks", "2", "--time", "1", "--grace", "10",
                             "--max-requeues", "0"});
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 60)) << slurm_output(dir / "out") << cluster_->logs();
    const std::string log = slurm_output(dir / "out");
    EXPECT_NE(log.find("not starting testing.sleep jobs"), std::string::npos) << log;
    EXPECT_NE(log.find("exit code 3"), std::string::npos) << log;
    for (const auto& [key, row] : read_jobs(dir / "out" / "index.db", "second")) {
        const bool is_long = row.params.at("seconds").get<double>() > 1;
        EXPECT_EQ(row.status, is_long ? "pending" : "done") << row.params.dump() << "\n" << log;
    }
}

// Long checkpointing jobs under a one-minute time limit: Slurm's warning signal (B:TERM@45) makes
// them checkpoint and the run stop; the script requeues the job, which resumes from the
// checkpoints. The results equal an uninterrupted run (the same seeds without the per-step sleep).
TEST_F(Slurm, PreemptedCheckpointingJobsCompleteAfterRequeue) {
    if (mpi_unavailable()) GTEST_SKIP() << "MPI mode: built without MPI or mpirun missing";
    write_file(dir / "long.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 500, step_seconds: 0.06}\n"
               "grid:\n  seed: [1, 2, 3, 4]\n");
    write_file(dir / "quick.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 500, step_seconds: 0.0}\n"
               "grid:\n  seed: [1, 2, 3, 4]\n");
    ASSERT_EQ(cli({"run", "quick.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    // 4 jobs x 30 s on 2 workers: 60 s of work, more than the first allocation gets before its signal.
    const auto ids = submit({"submit", "long.yaml", "--out", "slurm", "--ranks", "3", "--time", "1", "--grace", "45",
                             "--sbatch-arg=--overcommit"});
    ASSERT_EQ(ids.size(), 1u);
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 200)) << slurm_output(dir / "slurm") << cluster_->logs();
    const std::string log = slurm_output(dir / "slurm");
    EXPECT_NE(log.find("requeueing"), std::string::npos) << log;
    EXPECT_NE(log.find("resumed from checkpoint"), std::string::npos) << log;

    const auto rows = read_jobs(dir / "slurm" / "index.db", "long");
    const auto reference = read_jobs(dir / "local" / "index.db", "long");
    ASSERT_EQ(rows.size(), 4u);
    std::map<long long, const Row*> by_seed;
    for (const auto& [key, row] : reference) by_seed[row.params.at("seed").get<long long>()] = &row;
    for (const auto& [key, row] : rows) {
        const Row& ref = *by_seed.at(row.params.at("seed").get<long long>());
        EXPECT_EQ(row.status, "done") << key << ": " << row.error;
        EXPECT_EQ(row.metrics, ref.metrics) << key;
        if (row.status != "done") continue;
        EXPECT_EQ(read_payload_array(row.payload, "trace").reals(), read_payload_array(ref.payload, "trace").reals()) << key;
        EXPECT_FALSE(fs::exists(fs::path(row.payload).replace_extension(".ckpt"))) << "checkpoint removed once done";
    }
    if (HasFailure()) ADD_FAILURE() << log;
}

// Array mode, preempted: SIGTERM to the tasks' batch shells (as Slurm's warning signal or a
// preemption delivers it) makes the shards checkpoint and requeue themselves; the merge job waits
// for the requeued tasks, and the merged index equals an uninterrupted run.
TEST_F(Slurm, ArrayTasksSignalledMidJobResumeAndMergeAfterRequeue) {
    write_file(dir / "long.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 200, step_seconds: 0.04}\n"
               "grid:\n  seed: [5, 6]\n");
    write_file(dir / "quick.yaml",
               "name: long\nmodel: testing.counter\nparams: {steps: 200, step_seconds: 0.0}\n"
               "grid:\n  seed: [5, 6]\n");
    ASSERT_EQ(cli({"run", "quick.yaml", "--out", "local", "-q"}, dir.path()).exit_code, 0);
    const auto ids = submit({"submit", "long.yaml", "--out", "slurm", "--array", "--time", "00:05:00"});
    ASSERT_EQ(ids.size(), 2u) << "one array and the merge job";
    // Both tasks running, a few seconds into their 8-second jobs.
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < end) {
        const auto r = sr::run_command({"squeue", "-h", "-j", ids[0], "-t", "RUNNING", "-o", "%i"});
        if (std::count(r.out.begin(), r.out.end(), '\n') == 2) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const auto signal = sr::run_command({"scancel", "--batch", "--signal=TERM", ids[0]});
    ASSERT_EQ(signal.exit_code, 0) << signal.err;
    ASSERT_TRUE(cluster_->wait_for_jobs(ids, 120)) << slurm_output(dir / "slurm") << cluster_->logs();
    const std::string log = slurm_output(dir / "slurm");
    EXPECT_NE(log.find("requeueing"), std::string::npos) << log;
    EXPECT_NE(log.find("resumed from checkpoint"), std::string::npos) << log;

    const auto rows = read_jobs(dir / "slurm" / "index.db", "long");
    const auto reference = read_jobs(dir / "local" / "index.db", "long");
    ASSERT_EQ(rows.size(), 2u);
    std::map<long long, const Row*> by_seed;
    for (const auto& [key, row] : reference) by_seed[row.params.at("seed").get<long long>()] = &row;
    for (const auto& [key, row] : rows) {
        const Row& ref = *by_seed.at(row.params.at("seed").get<long long>());
        EXPECT_EQ(row.status, "done") << key << ": " << row.error;
        EXPECT_EQ(row.metrics, ref.metrics) << key;
        if (row.status != "done") continue;
        EXPECT_EQ(read_payload_array(row.payload, "trace").reals(), read_payload_array(ref.payload, "trace").reals()) << key;
    }
    if (HasFailure()) ADD_FAILURE() << log;
}

}  // namespace
}  // namespace sr
