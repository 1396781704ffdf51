// The exec model running real programs: results in each format, every failure mode with a clear
// message, timeouts and stop requests that kill the whole process group, and hostile values.
#include "core/models/exec/exec_config.hpp"
#include "core/models/exec/exec_model.hpp"
#include "core/models/exec/outputs.hpp"
#include "core/command.hpp"
#include "core/process.hpp"
#include "exec_test_support.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace {
using namespace exec_test;
using sr::Json;
using Clock = std::chrono::steady_clock;

Json exec_params(std::vector<std::string> command, Json user = Json::object(), Json extra = Json::object()) {
    Json params = user;
    params["exec"] = extra;
    params["exec"]["command"] = command;
    if (!params["exec"].contains("env")) params["exec"]["env"] = {{"PYTHONPATH", tools_dir()}};
    return params;
}

sr::Result run(const Json& params, const fs::path& dir, double timeout = 0, const std::atomic<bool>* stop = nullptr) {
    const sr::ModelPtr model = sr::make_exec_model();
    model->validate(params);
    std::optional<sr::RunContext::Clock::time_point> deadline;
    if (timeout > 0) {
        deadline = sr::RunContext::Clock::now() +
                   std::chrono::duration_cast<sr::RunContext::Clock::duration>(std::chrono::duration<double>(timeout));
    }
    sr::RunContext context(deadline, stop, dir);
    context.set_job({"s", std::string(64, 'a'), 7});
    return model->run(params, context);
}

std::string failure(const Json& params, const fs::path& dir, double timeout = 0) {
    try {
        run(params, dir, timeout);
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(succeeded)";
}

Json behave(const std::string& mode, std::vector<std::string> extra_args = {}) {
    std::vector<std::string> command = {python, script("behave.py"), mode, "{output_file}"};
    command.insert(command.end(), extra_args.begin(), extra_args.end());
    return exec_params(command);
}

bool process_gone(int pid) {
    const fs::path stat = "/proc/" + std::to_string(pid) + "/stat";
    for (int i = 0; i < 200; ++i) {
        const std::string text = slurp(stat);
        if (text.empty()) return true;
        const auto close = text.rfind(')');
        if (close != std::string::npos && close + 2 < text.size() && text[close + 2] == 'Z') return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

TEST(ExecRun, JsonResultsThroughTheHelper) {
    TempDir tmp;
    const Json params = exec_params({python, script("quadratic.py"), "{params_file}", "{output_file}"},
                                    {{"x", 2.0}, {"seed", 3}, {"epochs", 4}, {"note", "a: b"}});
    const sr::Result r = run(params, tmp.path / "job");
    EXPECT_DOUBLE_EQ(r.metrics.at("x_squared"), 4.0);
    EXPECT_DOUBLE_EQ(r.metrics.at("train.epochs"), 4.0);
    EXPECT_NEAR(r.metrics.at("loss"), std::exp(-1.5) + 0.003, 1e-12);
    ASSERT_EQ(r.arrays.at("curve").shape, std::vector<std::size_t>{4});
    EXPECT_TRUE(r.arrays.at("curve").is_real());
    EXPECT_EQ(r.arrays.at("steps").ints(), (std::vector<std::int64_t>{0, 1, 2, 3}));
    // The program saw its own parameters only, as JSON and YAML.
    const Json seen = Json::parse(slurp(tmp.path / "job/params.json"));
    EXPECT_FALSE(seen.contains("exec"));
    EXPECT_EQ(seen["note"], "a: b");
    EXPECT_NE(slurp(tmp.path / "job/params.yaml").find("note: \"a: b\"\n"), std::string::npos);
    EXPECT_NE(slurp(tmp.path / "job/params.yaml").find("x: 2.0\n"), std::string::npos);
    EXPECT_NE(slurp(tmp.path / "job/stdout.log").find("x=2 seed=3"), std::string::npos);
}

TEST(ExecRun, TheHelperWritesEveryFormat) {
    for (const char* format : {"npz", "hdf5"}) {
        TempDir tmp;
        const Json params = exec_params({python, script("quadratic.py"), "{params_file}", "{output_file}"},
                                        {{"x", 3.0}, {"seed", 0}, {"epochs", 2}}, {{"payload_format", format}});
        const sr::Result r = run(params, tmp.path);
        EXPECT_DOUBLE_EQ(r.metrics.at("x_squared"), 9.0) << format;
        EXPECT_DOUBLE_EQ(r.metrics.at("train.epochs"), 2.0) << format;
        EXPECT_EQ(r.arrays.at("curve").shape, std::vector<std::size_t>{2}) << format;
        EXPECT_EQ(r.arrays.at("steps").ints(), (std::vector<std::int64_t>{0, 1})) << format;
    }
}

TEST(ExecRun, CompressedNpzFromNumpy) {
    TempDir tmp;
    const sr::Result r = run(exec_params({python, script("numpy_out.py"), "{params_file}", "{output_file}"},
                                         {{"k", 2}}, {{"payload_format", "npz"}}),
                             tmp.path);
    EXPECT_TRUE(fs::exists(tmp.path / "output.npz"));
    EXPECT_DOUBLE_EQ(r.metrics.at("score"), 1.0);  // 0-d array
    const sr::Array& grid = r.arrays.at("grid");
    EXPECT_EQ(grid.shape, (std::vector<std::size_t>{3, 4}));
    EXPECT_DOUBLE_EQ(grid.reals()[6], 12.0);
    const sr::Array& counts = r.arrays.at("counts");  // int16, Fortran order
    EXPECT_EQ(counts.shape, (std::vector<std::size_t>{2, 3}));
    EXPECT_EQ(counts.ints(), (std::vector<std::int64_t>{-2, -1, 0, 1, 2, 3}));
    EXPECT_EQ(r.arrays.at("flags").ints(), (std::vector<std::int64_t>{1, 0}));
    // A damaged file (cut short anywhere, or with a byte changed) is an error naming the file, never
    // a crash or an out-of-range read.
    const std::string bytes = slurp(tmp.path / "output.npz");
    ASSERT_GT(bytes.size(), 200u);
    for (std::size_t cut = 0; cut < bytes.size(); cut += 7) {
        sr::Result partial;
        EXPECT_THROW(sr::exec::read_npz_result(bytes.substr(0, cut), "x.npz", partial), std::runtime_error) << cut;
    }
    for (std::size_t at = 0; at < bytes.size(); at += 3) {
        std::string damaged = bytes;
        damaged[at] = static_cast<char>(damaged[at] ^ 0x5a);
        sr::Result partial;
        try {
            sr::exec::read_npz_result(damaged, "x.npz", partial);
        } catch (const std::runtime_error&) {
        }
    }
}

TEST(ExecRun, Hdf5FromH5py) {
    TempDir tmp;
    const sr::Result r = run(exec_params({python, script("numpy_out.py"), "{params_file}", "{output_file}"},
                                         {{"k", 3}}, {{"payload_format", "hdf5"}}),
                             tmp.path);
    EXPECT_DOUBLE_EQ(r.metrics.at("score"), 1.5);     // scalar attribute
    EXPECT_DOUBLE_EQ(r.metrics.at("scalar_ds"), 7);   // 0-d dataset
    EXPECT_FALSE(r.metrics.count("note"));            // string attribute: not a metric
    EXPECT_EQ(r.arrays.at("grid").shape, (std::vector<std::size_t>{3, 4}));
    EXPECT_EQ(r.arrays.at("sub.counts").ints(), (std::vector<std::int64_t>{-2, -1, 0, 1, 2, 3}));
}

TEST(ExecRun, NonZeroExitWithStderrTail) {
    TempDir tmp;
    const std::string e = failure(behave("exit3"), tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')), "'" + python + "' exited with status 3");
    EXPECT_NE(e.find("--- stderr.log (last lines) ---\nsomething went wrong in epoch 7"), std::string::npos) << e;
    EXPECT_NE(e.find("--- stdout.log (last lines) ---\nmode exit3"), std::string::npos) << e;
}

TEST(ExecRun, CrashBySignal) {
    TempDir tmp;
    const std::string e = failure(behave("segv"), tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')), "'" + python + "' was killed by signal 11 (SIGSEGV, Segmentation fault)");
    EXPECT_NE(e.find("about to crash"), std::string::npos) << e;
}

TEST(ExecRun, MissingMalformedAndNaNOutput) {
    TempDir tmp;
    // A stale result from an earlier attempt must not count.
    spit(tmp.path / "output.json", R"({"metrics": {"ok": 1}})");
    std::string e = failure(behave("no_output"), tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')),
              "'" + python + "' exited 0 but wrote no output file " + (tmp.path / "output.json").string());
    e = failure(behave("bad_json"), tmp.path);
    EXPECT_EQ(e.substr(0, e.find(": [json.exception")), (tmp.path / "output.json").string() + ": malformed JSON");
    e = failure(behave("nan"), tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')), "metric 'loss' is NaN (in output.json or outputs.files)");
    e = failure(exec_params({python, script("behave.py"), "ok", "{output_file}"}, {},
                            {{"outputs", {{"metrics", {"ok", "accuracy"}}}}}),
                tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')), "the program reported no metric 'accuracy' (required by outputs.metrics)");
    e = failure(exec_params({"no_such_program_xyz"}, {}, {{"env", {{"PATH", "/usr/bin:/bin"}}}}), tmp.path);
    EXPECT_EQ(e, "cannot start 'no_such_program_xyz': not found on PATH (/usr/bin:/bin)");
}

TEST(ExecRun, TimeoutKillsTheProcessGroupEvenIfSigtermIsIgnored) {
    TempDir tmp;
    const auto start = Clock::now();
    const std::string e = failure(behave("ignore_term"), tmp.path, 0.8);
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(e.rfind("timeout: '" + python + "' was still running at the job's deadline", 0), 0u) << e;
    EXPECT_NE(e.find("its process group was killed (SIGTERM, then SIGKILL after 2 s)"), std::string::npos) << e;
    EXPECT_NE(e.find("ignoring SIGTERM"), std::string::npos) << e;
    EXPECT_LT(seconds, 15.0);  // not the 300 s sleep (generous: shared CI machines)
    EXPECT_GT(seconds, 2.5);  // SIGTERM was ignored: SIGKILL came after the grace period
    const std::string pid = slurp(tmp.path / "grandchild.pid");
    ASSERT_FALSE(pid.empty());
    EXPECT_TRUE(process_gone(std::stoi(pid))) << "grandchild " << pid << " survived";
}

TEST(ExecRun, StopRequestEndsTheProgram) {
    TempDir tmp;
    std::atomic<bool> stop{false};
    std::thread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop = true;
    });
    const auto start = Clock::now();
    try {
        run(behave("sleep", {"30"}), tmp.path, 0, &stop);
        ADD_FAILURE() << "not stopped";
    } catch (const sr::JobCancelled& e) {
        EXPECT_EQ(e.reason, sr::JobCancelled::Reason::stop_requested);
    }
    stopper.join();
    EXPECT_LT(std::chrono::duration<double>(Clock::now() - start).count(), 10.0);  // not the 30 s sleep
}

TEST(ExecRun, HostileValuesArriveVerbatimAsOneArgument) {
    TempDir tmp;
    const std::vector<std::string> hostile = {"two words", "it's \"quoted\"", "; rm -rf /tmp/x", "$(touch pwned)",
                                              "`touch pwned2`", "../../etc/passwd", "*", "", "--flag=1 --other",
                                              "a\nb", "{output_file}"};
    Json user = Json::object();
    std::vector<std::string> command = {python, script("behave.py"), "argv", "{output_file}"};
    for (std::size_t i = 0; i < hostile.size(); ++i) {
        user["v" + std::to_string(i)] = hostile[i];
        command.push_back("{param:v" + std::to_string(i) + "}");
    }
    command.push_back("pre-{param:v2}-post");
    const sr::Result r = run(exec_params(command, user), tmp.path);
    EXPECT_EQ(r.metrics.at("nargs"), static_cast<double>(hostile.size() + 1));
    std::vector<std::string> expected = hostile;
    expected.push_back("pre-; rm -rf /tmp/x-post");
    EXPECT_EQ(Json::parse(slurp(tmp.path / "argv.json")), Json(expected));
    EXPECT_FALSE(fs::exists(tmp.path / "pwned"));
    EXPECT_FALSE(fs::exists(tmp.path / "pwned2"));
    // As part of a path in the job folder, the same values are refused before anything runs.
    for (const char* bad : {"../../etc/passwd", "..", "/abs", "a/b"}) {
        const Json params = exec_params({python, "{job_dir}/{param:v}.txt"}, {{"v", bad}});
        EXPECT_THROW(sr::make_exec_model()->validate(params), sr::ParamError) << bad;
    }
}

TEST(ExecRun, ResultFilesOfTheProgramsOwnMaking) {
    // An ngclearn-style script that saves .npy files into a folder it is given: outputs.files reads
    // them (0-d arrays are metrics) and {output_file} is then optional.
    TempDir tmp;
    const std::vector<std::string> command = {
        python, "-c",
        "import numpy as np, os, sys; d = sys.argv[1]; os.makedirs(d + '/curves', exist_ok=True); "
        "np.save(d + '/curves/acc.npy', np.array([0.5, 0.75])); np.save(d + '/final.npy', np.float64(0.75))",
        "{job_dir}"};
    const sr::Result r =
        run(exec_params(command, {}, {{"outputs", {{"files", {"curves/acc.npy", "final.npy"}}}}}), tmp.path);
    EXPECT_EQ(r.arrays.at("acc").reals(), (std::vector<double>{0.5, 0.75}));
    EXPECT_EQ(r.metrics.at("final"), 0.75);
    const std::string e = failure(exec_params(command, {}, {{"outputs", {{"files", {"missing.npy"}}}}}), tmp.path);
    EXPECT_EQ(e.substr(0, e.find('\n')), "'" + python + "' exited 0 but wrote no missing.npy (listed in outputs.files)");
}

TEST(ExecRun, ProgramsDoNotInheritTheMpiRanksIdentity) {
    setenv("OMPI_COMM_WORLD_RANK", "2", 1);
    setenv("PMIX_RANK", "2", 1);
    setenv("OMPI_MCA_orte_hnp_uri", "x", 1);
    setenv("OMPI_MCA_btl_tcp_if_include", "lo", 1);
    const auto env = sr::environment_with({{"EXTRA", "1"}});
    unsetenv("OMPI_COMM_WORLD_RANK");
    unsetenv("PMIX_RANK");
    unsetenv("OMPI_MCA_orte_hnp_uri");
    auto has = [&](const std::string& entry) { return std::find(env.begin(), env.end(), entry) != env.end(); };
    EXPECT_FALSE(has("OMPI_COMM_WORLD_RANK=2"));
    EXPECT_FALSE(has("PMIX_RANK=2"));
    EXPECT_FALSE(has("OMPI_MCA_orte_hnp_uri=x"));
    EXPECT_TRUE(has("OMPI_MCA_btl_tcp_if_include=lo"));  // a user's setting stays
    EXPECT_TRUE(has("EXTRA=1"));
}

TEST(ExecRun, WorkdirEnvAndIdentityPlaceholders) {
    TempDir tmp;
    const Json params = exec_params(
        {python, "-c",
         "import json,os,sys; json.dump({{'metrics': {{'index': int(sys.argv[3])}}}}, open(sys.argv[1], 'w')); "
         "print(os.getcwd()); print(os.environ['MY_DIR']); print(sys.argv[2])",
         "{output_file}", "{job_key}", "{index}"},
        {}, {{"workdir", "{job_dir}/scratch"}, {"env", {{"MY_DIR", "{job_dir}/sub dir"}}}});
    const sr::Result r = run(params, tmp.path);
    EXPECT_EQ(r.metrics.at("index"), 7);
    EXPECT_EQ(slurp(tmp.path / "stdout.log"),
              (tmp.path / "scratch").string() + "\n" + (tmp.path / "sub dir").string() + "\n" + std::string(64, 'a') + "\n");
}

}  // namespace

// run_command (sbatch, git, a daemon's launcher) shares the spawner but not its containment: what a
// command leaves running stays, its output is captured, and failures have their exit codes.
TEST(ShortCommands, OutputExitCodesAndWhatTheyLeaveRunning) {
    const sr::CommandResult echo = sr::run_command({"sh", "-c", "echo out; echo err >&2; exit 3"});
    EXPECT_EQ(echo.exit_code, 3);
    EXPECT_EQ(echo.out, "out\n");
    EXPECT_EQ(echo.err, "err\n");
    const sr::CommandResult missing = sr::run_command({"no-such-program-here"});
    EXPECT_EQ(missing.exit_code, 127);
    EXPECT_NE(missing.err.find("not found on PATH"), std::string::npos) << missing.err;
    EXPECT_EQ(sr::run_command({"sh", "-c", "kill -TERM $$"}).exit_code, 128 + SIGTERM);
    // A launcher that starts a background process and exits at once, as daemons' launchers do.
    const sr::CommandResult launcher = sr::run_command({"sh", "-c", "sleep 30 >/dev/null 2>&1 & echo $!"});
    ASSERT_EQ(launcher.exit_code, 0);
    const pid_t daemon = std::stoi(launcher.out);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    EXPECT_EQ(::kill(daemon, 0), 0) << "the launcher's background process was killed";
    ::kill(daemon, SIGKILL);
}
