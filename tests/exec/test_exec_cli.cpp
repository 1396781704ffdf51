// model: exec end to end through the sweep_runner binary: the example sweeps, failures recorded with
// their log tails, resume after kill -9 without orphaned programs, and MPI mode when built with it.
#include "exec_test_support.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <map>
#include <set>
#include <sstream>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace {
using namespace exec_test;
using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

struct Output {
    int exit_code = -1;
    std::string text;  // stdout and stderr
};

pid_t start(const std::vector<std::string>& args, const fs::path& log) {
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    pid_t pid = -1;
    const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

Output run(const std::vector<std::string>& args, const fs::path& log) {
    Output out;
    const pid_t pid = start(args, log);
    if (pid < 0) return out;
    int status = 0;
    waitpid(pid, &status, 0);
    out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    out.text = slurp(log);
    return out;
}

std::vector<std::string> cli(std::initializer_list<std::string> args) {
    std::vector<std::string> v = {SWEEP_RUNNER_BINARY};
    v.insert(v.end(), args);
    return v;
}

Json results_json(const fs::path& db, const std::string& sweep, const fs::path& log,
                  std::vector<std::string> columns = {}) {
    std::vector<std::string> args = cli({"results", db.string(), "--sweep", sweep, "--format", "json"});
    if (!columns.empty()) {
        args.push_back("--columns");
        args.insert(args.end(), columns.begin(), columns.end());
    }
    const Output out = run(args, log);
    EXPECT_EQ(out.exit_code, 0) << out.text;
    return Json::parse(out.text);
}

std::vector<fs::path> payloads(const fs::path& out_dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(out_dir, ec); it != fs::recursive_directory_iterator(); ++it) {
        if (it->path().extension() == ".h5") found.push_back(it->path());
    }
    return found;
}

// Processes whose command line mentions `needle` (our programs carry the results folder in argv).
std::vector<int> processes_mentioning(const std::string& needle) {
    std::vector<int> pids;
    for (const auto& entry : fs::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string cmdline = slurp(entry.path() / "cmdline");
        for (char& c : cmdline) {
            if (c == '\0') c = ' ';
        }
        const std::string stat = slurp(entry.path() / "stat");
        const auto close = stat.rfind(')');
        const bool zombie = close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
        if (!zombie && cmdline.find(needle) != std::string::npos) pids.push_back(std::stoi(name));
    }
    return pids;
}

TEST(ExecCli, ExampleSweepEndToEnd) {
    TempDir tmp;
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const Output ran = run(cli({"run", source_dir + "/sweeps/examples/exec_quadratic.yaml", "--db", db.string(),
                                "--out", out.string(), "-j", "2", "-q"}),
                           log);
    ASSERT_EQ(ran.exit_code, 0) << ran.text;
    const Json rows = results_json(db, "exec_quadratic", log);
    ASSERT_EQ(rows.size(), 20u);
    std::set<std::string> keys;
    for (const Json& row : rows) {
        EXPECT_EQ(row["status"], "done");
        const double x = row["x"].get<double>();
        const int seed = row["seed"].get<int>();
        EXPECT_NEAR(row["loss"].get<double>(), (x - 1) * (x - 1) * std::exp(-3.5) + 0.001 * seed, 1e-12);
        EXPECT_DOUBLE_EQ(row["x_squared"].get<double>(), x * x);
        keys.insert(row["key"].get<std::string>());
        const fs::path job_dir = out / "exec_quadratic" / keys.rbegin()->substr(0, 2);
        EXPECT_TRUE(fs::exists(job_dir));
    }
    EXPECT_EQ(keys.size(), 20u);
    EXPECT_EQ(payloads(out).size(), 20u);
    // The payload of a job holds the program's arrays.
    const std::string key = rows[0]["key"];
    const Output shown = run(cli({"show", db.string(), key}), log);
    EXPECT_EQ(shown.exit_code, 0) << shown.text;
    EXPECT_NE(shown.text.find("curve"), std::string::npos) << shown.text;
    EXPECT_TRUE(fs::exists(out / "exec_quadratic" / key.substr(0, 2) / key / "stdout.log"));

    // Formats: npz (compressed, written by numpy), HDF5 (h5py) and JSON in one sweep.
    const Output formats = run(cli({"run", source_dir + "/sweeps/examples/exec_formats.yaml", "--db", db.string(),
                                    "--out", out.string(), "-j", "2", "-q"}),
                               log);
    ASSERT_EQ(formats.exit_code, 0) << formats.text;
    for (const Json& row : results_json(db, "exec_formats", log)) {
        EXPECT_EQ(row["status"], "done");
        if (row["block"] != "json") {
            EXPECT_DOUBLE_EQ(row["score"].get<double>(), row["k"].get<double>() / 2) << row;
        }
    }
}

TEST(ExecCli, FailuresAreRecordedWithTheirLogTails) {
    TempDir tmp;
    const fs::path sweep = tmp.path / "failing.yaml";
    spit(sweep, "name: exec_failing\nmodel: exec\n"
                "command: [/usr/bin/python3, " + script("behave.py") + ", \"{param:mode}\", \"{output_file}\"]\n"
                "timeout: 1\n"
                "grid:\n  mode: [ok, exit3, segv, no_output, bad_json, nan, ignore_term]\n");
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const Output ran = run(cli({"run", sweep.string(), "--db", db.string(), "--out", out.string(), "-j", "2", "-q"}), log);
    EXPECT_NE(ran.exit_code, 0) << ran.text;
    std::map<std::string, std::string> errors;
    for (const Json& row : results_json(db, "exec_failing", log, {"mode", "status", "error"})) {
        errors[row["mode"]] = row["error"].is_null() ? "" : row["error"].get<std::string>();
        EXPECT_EQ(row["status"], row["mode"] == "ok" ? "done" : "failed") << row;
    }
    auto first_line = [&](const std::string& mode) { return errors[mode].substr(0, errors[mode].find('\n')); };
    EXPECT_EQ(first_line("exit3"), "'/usr/bin/python3' exited with status 3");
    EXPECT_NE(errors["exit3"].find("something went wrong in epoch 7"), std::string::npos);
    EXPECT_EQ(first_line("segv"), "'/usr/bin/python3' was killed by signal 11 (SIGSEGV, Segmentation fault)");
    EXPECT_EQ(first_line("no_output").rfind("'/usr/bin/python3' exited 0 but wrote no output file ", 0), 0u);
    EXPECT_NE(first_line("bad_json").find("output.json: malformed JSON"), std::string::npos);
    EXPECT_EQ(first_line("nan"), "metric 'loss' is NaN (in output.json or outputs.files)");
    EXPECT_EQ(first_line("ignore_term").rfind("timeout: '/usr/bin/python3' was still running at the job's deadline", 0), 0u)
        << errors["ignore_term"];
    // status shows each failure's first line.
    const Output status = run(cli({"status", db.string()}), log);
    EXPECT_NE(status.text.find("exited with status 3"), std::string::npos) << status.text;
}

TEST(ExecCli, ResumeAfterKill9LeavesNoOrphansAndRunsEachJobOnce) {
    TempDir tmp;
    const fs::path sweep = tmp.path / "slow.yaml";
    spit(sweep, "name: exec_slow\nmodel: exec\n"
                "command: [/usr/bin/python3, " + script("quadratic.py") + ", \"{params_file}\", \"{output_file}\"]\n"
                "env: {PYTHONPATH: " + tools_dir() + "}\n"
                "params: {sleep: 1.5, epochs: 3, seed: 1}\n"
                "grid:\n  x: [0, 1, 2, 3, 4, 5]\n");
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const std::vector<std::string> args = cli({"run", sweep.string(), "--db", db.string(), "--out", out.string(), "-j", "2", "-q"});

    std::map<fs::path, fs::file_time_type> before;
    for (int round = 0; round < 2; ++round) {
        const pid_t pid = start(args, tmp.path / "run.txt");
        ASSERT_GT(pid, 0);
        // Kill once a job more is done and the next programs have started (1.5 s of sleep each).
        const std::size_t target = payloads(out).size() + 1;
        const auto give_up = Clock::now() + std::chrono::seconds(30);
        while (payloads(out).size() < target && Clock::now() < give_up) {
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ASSERT_FALSE(processes_mentioning((out / "exec_slow").string() + "/").empty()) << "no program running";
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        ASSERT_TRUE(WIFSIGNALED(status));
        // The programs it had started die with it (no orphan keeps writing into the results folder).
        std::vector<int> left;
        // (Checked within 1 s, less than the 1.3 s or more each program still had to sleep: a
        // surviving orphan would be seen.)
        for (int i = 0; i < 50; ++i) {
            left = processes_mentioning((out / "exec_slow").string() + "/");
            if (left.empty()) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        EXPECT_TRUE(left.empty()) << left.size() << " programs survived kill -9, e.g. pid " << left.front();
        // Jobs the index records as done (a payload renamed into place just before the kill but not
        // yet recorded is pending and runs again, by design).
        for (const Json& row : results_json(db, "exec_slow", log)) {
            if (row["status"] != "done") continue;
            const std::string key = row["key"];
            const fs::path p = out / "exec_slow" / key.substr(0, 2) / (key + ".h5");
            before.emplace(p, fs::last_write_time(p));
        }
    }
    ASSERT_LT(before.size(), 6u) << "the sweep finished before it could be killed";

    const Output resumed = run(args, log);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.text;
    const Json rows = results_json(db, "exec_slow", log);
    ASSERT_EQ(rows.size(), 6u);
    for (const Json& row : rows) EXPECT_EQ(row["status"], "done") << row;
    EXPECT_EQ(payloads(out).size(), 6u);
    ASSERT_GE(before.size(), 1u);
    // Jobs done before a kill were not run again.
    for (const auto& [path, time] : before) EXPECT_EQ(fs::last_write_time(path), time) << path;
}

// Slurm array mode without sbatch: what each array task runs (`run --shard i/M`, here two shards at
// once), then the merge job.
TEST(ExecCli, SlurmShardsAndMerge) {
    TempDir tmp;
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const std::string sweep = source_dir + "/sweeps/examples/exec_quadratic.yaml";
    std::vector<pid_t> tasks;
    for (int i = 0; i < 2; ++i) {
        tasks.push_back(start(cli({"run", sweep, "--db", db.string(), "--out", out.string(), "-j", "1", "-q",
                                   "--shard", std::to_string(i) + "/2"}),
                              tmp.path / ("shard" + std::to_string(i) + ".txt")));
    }
    for (std::size_t i = 0; i < tasks.size(); ++i) {
        int status = 0;
        waitpid(tasks[i], &status, 0);
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << slurp(tmp.path / ("shard" + std::to_string(i) + ".txt"));
    }
    const Output merged = run(cli({"merge", sweep, "--db", db.string(), "--out", out.string()}), log);
    ASSERT_EQ(merged.exit_code, 0) << merged.text;
    const Json rows = results_json(db, "exec_quadratic", log);
    ASSERT_EQ(rows.size(), 20u);
    for (const Json& row : rows) {
        EXPECT_EQ(row["status"], "done") << row;
        EXPECT_DOUBLE_EQ(row["x_squared"].get<double>(), row["x"].get<double>() * row["x"].get<double>());
    }
    EXPECT_EQ(payloads(out).size(), 20u);
}

#ifdef SWEEP_RUNNER_WITH_MPI
int parent_of(int pid) {
    const std::string stat = slurp("/proc/" + std::to_string(pid) + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    int ppid = -1;
    rest >> state >> ppid;
    return ppid;
}

// mpirun -n 3: rank 0 coordinates, ranks 1-2 each spawn programs. One worker rank is killed with
// SIGKILL mid-sweep (its program dies with it, the MPI job goes down); a second mpirun finishes the
// sweep without redoing what was recorded done.
TEST(ExecCli, MpiModeWithResumeAfterKill9OfARank) {
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
    setenv("OMPI_MCA_oob_tcp_if_include", "lo", 1);
    if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun not installed";
    TempDir tmp;
    const fs::path sweep = tmp.path / "slow.yaml";
    spit(sweep, "name: exec_slow\nmodel: exec\n"
                "command: [/usr/bin/python3, " + script("quadratic.py") + ", \"{params_file}\", \"{output_file}\"]\n"
                "env: {PYTHONPATH: " + tools_dir() + "}\n"
                "params: {sleep: 1.5, epochs: 3, seed: 1}\n"
                "grid:\n  x: [0, 1, 2, 3, 4, 5]\n");
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const std::vector<std::string> args = {"mpirun", "--oversubscribe", "-n", "3", SWEEP_RUNNER_BINARY, "run",
                                           sweep.string(), "--db", db.string(), "--out", out.string(), "-q"};
    std::vector<std::string> mpirun_args = args;
    mpirun_args[0] = "/usr/bin/mpirun";
    const std::string programs = (out / "exec_slow").string() + "/";

    const pid_t pid = start(mpirun_args, tmp.path / "run.txt");
    ASSERT_GT(pid, 0);
    int rank = -1;
    const auto give_up = Clock::now() + std::chrono::seconds(60);
    while (Clock::now() < give_up) {
        if (payloads(out).size() >= 1) {
            // The newest program (1.3 s or more of its sleep left once the kill lands).
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
            const std::vector<int> running = processes_mentioning(programs);
            if (!running.empty()) rank = parent_of(*std::max_element(running.begin(), running.end()));
            if (rank > 0) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_GT(rank, 0) << "no running program found: " << slurp(tmp.path / "run.txt");
    kill(rank, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_FALSE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a dead worker rank takes the MPI job down";
    std::vector<int> left;
    for (int i = 0; i < 50; ++i) {
        left = processes_mentioning(programs);
        if (left.empty()) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_TRUE(left.empty()) << left.size() << " programs survived, e.g. pid " << left.front();

    std::map<fs::path, fs::file_time_type> before;
    for (const Json& row : results_json(db, "exec_slow", log)) {
        if (row["status"] != "done") continue;
        const std::string key = row["key"];
        const fs::path p = out / "exec_slow" / key.substr(0, 2) / (key + ".h5");
        before.emplace(p, fs::last_write_time(p));
    }
    ASSERT_LT(before.size(), 6u);

    const Output resumed = run(mpirun_args, log);
    ASSERT_EQ(resumed.exit_code, 0) << resumed.text;
    const Json rows = results_json(db, "exec_slow", log);
    ASSERT_EQ(rows.size(), 6u);
    for (const Json& row : rows) EXPECT_EQ(row["status"], "done") << row;
    EXPECT_EQ(payloads(out).size(), 6u);
    for (const auto& [path, time] : before) EXPECT_EQ(fs::last_write_time(path), time) << path;
}

// A program that uses MPI itself, started by a worker rank, runs as its own singleton.
TEST(ExecCli, MpiProgramsAsJobsOfAnMpiSweep) {
    if (std::system("command -v mpirun >/dev/null 2>&1") != 0) GTEST_SKIP() << "mpirun not installed";
    setenv("OMPI_ALLOW_RUN_AS_ROOT", "1", 1);
    setenv("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1", 1);
    setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
    setenv("OMPI_MCA_oob_tcp_if_include", "lo", 1);
    TempDir tmp;
    const fs::path sweep = tmp.path / "mpi_child.yaml";
    spit(sweep, "name: exec_mpi_child\nmodel: exec\ncommand: [" EXEC_MPI_CHILD ", \"{output_file}\"]\n"
                "timeout: 60\ngrid:\n  n: [1, 2, 3, 4]\n");
    const fs::path db = tmp.path / "index.db", out = tmp.path / "out", log = tmp.path / "log.txt";
    const Output ran = run({"/usr/bin/mpirun", "--oversubscribe", "-n", "3", SWEEP_RUNNER_BINARY, "run", sweep.string(),
                            "--db", db.string(), "--out", out.string(), "-q"},
                           log);
    ASSERT_EQ(ran.exit_code, 0) << ran.text;
    const Json rows = results_json(db, "exec_mpi_child", log, {"n", "status", "child_rank", "child_size"});
    ASSERT_EQ(rows.size(), 4u);
    for (const Json& row : rows) {
        EXPECT_EQ(row["status"], "done") << row;
        EXPECT_EQ(row["child_size"], 1.0) << row;
        EXPECT_EQ(row["child_rank"], 0.0) << row;
    }
}
#endif

}  // namespace
