// Sweep files with model `exec`: keys carried into params.exec (part of the job key), free-form
// user parameters, and every refusal with its file:line:column.
#include "core/models/exec/exec_config.hpp"
#include "core/registry.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/sweep_spec.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace {
namespace fs = std::filesystem;

std::vector<sr::Job> expand_text(const std::string& text) {
    return sr::expand(sr::parse_sweep(text, "t.yaml"), sr::builtin_models());
}

// The one-line error of a sweep that must be refused.
std::string error_of(const std::string& text) {
    try {
        expand_text(text);
    } catch (const sr::SweepError& e) {
        return e.what();
    }
    return "(accepted)";
}

const std::string head = "name: e\nmodel: exec\n";

TEST(ExecConfig, KeysBecomeParamsAndPartOfTheJobKey) {
    const auto jobs = expand_text(head +
                                  "command: [/usr/bin/python3, train.py, \"{params_file}\", --lr, \"{param:opt.lr}\"]\n"
                                  "env: {OMP_NUM_THREADS: \"1\"}\n"
                                  "payload_format: npz\n"
                                  "outputs: {metrics: [loss], files: [extra/curves.npy]}\n"
                                  "params: {opt: {lr: 0.1}, anything: {goes: [1, 2]}, free_text: hi}\n"
                                  "grid: {seed: [1, 2]}\n");
    ASSERT_EQ(jobs.size(), 2u);
    const sr::Json& exec = jobs[0].params.at("exec");
    EXPECT_EQ(exec.at("command"), sr::Json({"/usr/bin/python3", "train.py", "{params_file}", "--lr", "{param:opt.lr}"}));
    EXPECT_EQ(exec.at("env").at("OMP_NUM_THREADS"), "1");
    EXPECT_EQ(exec.at("payload_format"), "npz");
    EXPECT_EQ(jobs[0].params.at("anything").at("goes"), sr::Json({1, 2}));
    EXPECT_EQ(jobs[1].params.at("seed"), 2);
    // Another command gives other keys: results of another program are other results.
    const auto other = expand_text(head +
                                   "command: [/usr/bin/python3, train2.py, \"{params_file}\", --lr, \"{param:opt.lr}\"]\n"
                                   "env: {OMP_NUM_THREADS: \"1\"}\npayload_format: npz\n"
                                   "outputs: {metrics: [loss], files: [extra/curves.npy]}\n"
                                   "params: {opt: {lr: 0.1}, anything: {goes: [1, 2]}, free_text: hi}\n"
                                   "grid: {seed: [1, 2]}\n");
    EXPECT_NE(other[0].key, jobs[0].key);
    // Arguments stay strings exactly as written (0.10 is not turned into 0.1).
    const auto verbatim = expand_text(head + "command: [true, 0.10, 'yes', \"{{x}}\"]\n");
    EXPECT_EQ(verbatim[0].params["exec"]["command"], sr::Json({"true", "0.10", "yes", "{{x}}"}));
}

TEST(ExecConfig, SweepDirAndWorkdirAreResolvedAgainstTheSweepFile) {
    const std::string dir = fs::absolute("t.yaml").parent_path().lexically_normal().string();
    const auto jobs = expand_text(head + "command: [\"{sweep_dir}/tools/test.sh\", \"{{sweep_dir}}\"]\nworkdir: sub/dir\n");
    EXPECT_EQ(jobs[0].params["exec"]["command"][0], dir + "/tools/test.sh");
    EXPECT_EQ(jobs[0].params["exec"]["command"][1], "{{sweep_dir}}");  // escaped: literal braces
    EXPECT_EQ(jobs[0].params["exec"]["workdir"], (fs::path(dir) / "sub/dir").string());
    const auto in_job = expand_text(head + "command: [true]\nworkdir: \"{job_dir}/scratch\"\n");
    EXPECT_EQ(in_job[0].params["exec"]["workdir"], "{job_dir}/scratch");
}

TEST(ExecConfig, BlocksMayRunOtherCommands) {
    const auto jobs = expand_text(head +
                                  "command: [true, \"{output_file}\"]\n"
                                  "blocks:\n"
                                  "  - {name: a, payload_format: hdf5}\n"
                                  "  - {name: b, command: [false, \"{output_file}\"]}\n");
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].params["exec"]["payload_format"], "hdf5");
    EXPECT_EQ(jobs[1].params["exec"]["command"][0], "false");
}

TEST(ExecConfig, Refusals) {
    EXPECT_EQ(error_of(head + "command: python3 train.py {params_file}\n"),
              "t.yaml:3:10: command: expected a list of arguments (argv), e.g. [\"python3\", \"train.py\", "
              "\"{params_file}\"]; a command is never run through a shell");
    EXPECT_EQ(error_of(head + "params: {x: 1}\n"),
              "t.yaml:1:1: exec.command: model 'exec' needs a command: an argv list such as [\"python3\", "
              "\"train.py\", \"{params_file}\", \"{output_file}\"]");
    EXPECT_EQ(error_of(head + "command: [true, \"{outptu_file}\"]\n"),
              "t.yaml:3:17: exec.command[1]: unknown placeholder '{outptu_file}' (known: {params_file}, "
              "{params_yaml}, {output_file}, {job_key}, {job_dir}, {index}, {param:dotted.key})");
    EXPECT_EQ(error_of(head + "command: [true, \"--x={oops\"]\n"),
              "t.yaml:3:17: exec.command[1]: unclosed '{' at character 5 of '--x={oops' (write '{{' for a literal brace)");
    EXPECT_EQ(error_of(head + "command: [true, \"{param:lr}\"]\nparams: {rate: 1}\n"),
              "t.yaml:3:17: exec.command[1]: {param:lr}: this job has no parameter 'lr'");
    EXPECT_EQ(error_of(head + "command: ['', x]\n"),
              "t.yaml:3:10: exec.command: the command needs a program as its first element");
    EXPECT_EQ(error_of("name: e\nmodel: testing.arith\ncommand: [true]\n"),
              "t.yaml:3:10: command: only for model: exec (this sweep runs model 'testing.arith')");
    EXPECT_EQ(error_of(head + "command: [true]\npayload_format: csv\n"),
              "t.yaml:4:17: exec.payload_format: expected json, hdf5 or npz, got 'csv'");
    EXPECT_EQ(error_of(head + "command: [true]\nenv: {\"BAD-NAME\": x}\n"),
              "t.yaml:4:19: exec.env.BAD-NAME: not a valid environment variable name");
    EXPECT_EQ(error_of(head + "command: [true]\noutputs: {metric: [loss]}\n"),
              "t.yaml:4:11: exec.outputs.metric: unknown key (expected metrics, arrays or files)");
    EXPECT_EQ(error_of(head + "command: [true]\nparams: {exec: {comand: [x]}}\n"),
              "t.yaml:4:17: exec.comand: unknown parameter of model 'exec' (did you mean 'exec.command'?)");
    EXPECT_EQ(error_of(head + "command: [true]\ntimeout: -1\n"),
              "t.yaml:4:10: timeout: expected a positive number of seconds, at most 1e7");
}

TEST(ExecConfig, NothingEscapesTheResultsFolder) {
    // A sweep name is a folder under the results folder.
    EXPECT_EQ(error_of("name: ../up\nmodel: exec\ncommand: [true]\n"),
              "t.yaml:1:7: name: may contain only letters, digits, '_', '-' and '.'");
    EXPECT_EQ(error_of(head + "command: [true]\noutputs: {files: [../../etc/passwd]}\n"),
              "t.yaml:4:19: exec.outputs.files[0]: '../../etc/passwd' must be a path inside the job folder "
              "(relative, without '..')");
    EXPECT_EQ(error_of(head + "command: [true]\noutputs: {files: [/tmp/x.npy]}\n"),
              "t.yaml:4:19: exec.outputs.files[0]: '/tmp/x.npy' must be a path inside the job folder "
              "(relative, without '..')");
    EXPECT_EQ(error_of(head + "command: [true]\nworkdir: \"{job_dir}/../../other\"\n"),
              "t.yaml:4:10: exec.workdir: '{job_dir}/../../other' would leave the job folder");
    // A parameter value that would lead a path in the job folder out of it is refused where the
    // value is written...
    EXPECT_EQ(error_of(head + "command: [true, \"{job_dir}/{param:name}.csv\"]\ngrid: {name: [ok, ../../x]}\n"),
              "t.yaml:4:19: name: value '../../x' cannot be part of a path in the job folder (exec.command[1]): "
              "it must be a plain name, without '/' and not '..'");
    EXPECT_EQ(error_of(head + "command: [true]\nenv: {OUT: \"{job_dir}/{param:name}\"}\nparams: {name: /etc}\n"),
              "t.yaml:5:10: name: value '/etc' cannot be part of a path in the job folder (exec.env.OUT): "
              "it must be a plain name, without '/' and not '..'");
    // ...while on its own it is just an argument, passed verbatim (see ExecRun.HostileValues...).
    EXPECT_EQ(expand_text(head + "command: [true, \"{param:name}\"]\nparams: {name: ../../x}\n").size(), 1u);
}

TEST(ExecConfig, TemplatesAndParamText) {
    const auto t = sr::exec::parse_template("--out={job_dir}/{param:a.b}_{{x}}", "k");
    ASSERT_EQ(t.parts.size(), 5u);
    EXPECT_TRUE(t.uses_path());
    sr::exec::Values v;
    v.job_dir = "/r/j";
    const sr::Json params = {{"a", {{"b", 3}}}};
    EXPECT_EQ(sr::exec::substitute(t, params, v), "--out=/r/j/3_{x}");
    EXPECT_EQ(sr::exec::param_text(0.1), "0.1");
    EXPECT_EQ(sr::exec::param_text(true), "true");
    EXPECT_EQ(sr::exec::param_text(sr::Json({1, 2})), "[1,2]");
    EXPECT_EQ(sr::exec::param_text("a b"), "a b");
    EXPECT_THROW(sr::exec::parse_template("x}", "k"), sr::ParamError);
}

}  // namespace
