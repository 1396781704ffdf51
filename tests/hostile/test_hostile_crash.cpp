// A job that crashes the runner itself (abort, stack overflow) takes every running job with it; the
// crash is recorded as it happens, and the next run records that job as failed with the signal
// instead of starting it again and crashing again.
#include "hostile_support.hpp"

#include <nlohmann/json.hpp>

namespace {
using namespace hostile;
using Json = nlohmann::json;

void crash_then_record(const std::string& mode, int signal, const std::string& cause) {
    TempDir tmp;
    write(tmp / "sweep.yaml", "name: poison\nmodel: testing.fail\njobs:\n  - {mode: ok, value: 1}\n"
                              "  - {mode: " + mode + ", value: 2}\n  - {mode: ok, value: 3}\n");
    const fs::path db = tmp / "index.db", out = tmp / "out";
    const std::vector<std::string> args = {"run", (tmp / "sweep.yaml").string(), "--db", db.string(),
                                           "--out", out.string(), "-j", "2", "-q"};
    const Outcome crashed = run(args, tmp.path());
    EXPECT_EQ(crashed.exit_code, 128 + signal) << crashed.err;
    EXPECT_TRUE(fs::exists(out / ".crashed_jobs"));

    // The next run fails the crashed jobs without running them and runs the rest.
    const Outcome rerun = run(args, tmp.path());
    EXPECT_EQ(rerun.exit_code, 1) << rerun.err;
    EXPECT_FALSE(fs::exists(out / ".crashed_jobs")) << "the record is consumed";
    const Outcome shown = run({"results", db.string(), "--sweep", "poison", "--format", "json", "--columns",
                               "mode,value,status,attempts,error"},
                              tmp.path());
    ASSERT_EQ(shown.exit_code, 0) << shown.err;
    const Json rows = Json::parse(shown.out);
    ASSERT_EQ(rows.size(), 3u);
    for (const Json& row : rows) {
        if (row["mode"] == "ok") {
            EXPECT_EQ(row["status"], "done") << row;
            continue;
        }
        EXPECT_EQ(row["status"], "failed") << row;
        EXPECT_EQ(row["attempts"], 1) << row;
        EXPECT_NE(row["error"].get<std::string>().find("crashed the runner: killed by signal " + cause), std::string::npos)
            << row;
    }
    // A third run has nothing left to do and does not crash.
    const Outcome again = run(args, tmp.path());
    EXPECT_EQ(again.exit_code, 1) << again.err;
}

TEST(HostileCrash, AbortingJobIsRecordedAndNotRetried) { crash_then_record("abort", SIGABRT, "6 (SIGABRT, Aborted)"); }

TEST(HostileCrash, StackOverflowIsRecordedAndNotRetried) {
    crash_then_record("overflow", SIGSEGV, "11 (SIGSEGV, Segmentation fault)");
}

}  // namespace
