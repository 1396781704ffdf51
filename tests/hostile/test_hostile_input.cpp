// Input that used to crash or hang the validator, overflow the job count or exhaust the machine:
// each gets a one-line error naming file, key and reason and exit 2, within bounded time and memory.
#include "db/index_lock.hpp"
#include "hostile_support.hpp"

#include <sys/stat.h>

namespace {
using namespace hostile;

// The one-line error of a refused input (exit 2, one line on stderr, nothing run).
void expect_refused(const Outcome& o, const std::string& reason) {
    EXPECT_FALSE(o.timed_out);
    EXPECT_EQ(o.exit_code, 2) << o.err;
    EXPECT_NE(o.err.find(reason), std::string::npos) << o.err;
    EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o.err;
    EXPECT_LT(o.err.size(), 400u) << o.err;
}

Outcome expand(const TempDir& tmp, const std::string& sweep_text) {
    write(tmp / "sweep.yaml", sweep_text);
    return run({"expand", (tmp / "sweep.yaml").string(), "--format", "json"}, tmp.path());
}

TEST(HostileInput, DeriveNestedTwentyThousandLevels) {
    TempDir tmp;
    const auto derive = [&](const std::string& expression) {
        return expand(tmp, "name: d\nmodel: testing.arith\nderive:\n  seed: \"" + expression + "\"\n");
    };
    expect_refused(derive(std::string(20000, '(') + "1" + std::string(20000, ')')), "longer than 4096 characters");
    expect_refused(derive(std::string(20000, '-') + "1"), "longer than 4096 characters");
    expect_refused(derive(std::string(101, '(') + "1" + std::string(101, ')')),
                   "derive.seed: nested deeper than 100 levels");
    expect_refused(derive(std::string(101, '-') + "1"), "derive.seed: nested deeper than 100 levels");
    // The longest chain of operators that fits evaluates (one tree level per operator).
    std::string chain = "1";
    while (chain.size() + 2 <= 4096) chain += "+1";
    const Outcome o = derive(chain);
    EXPECT_EQ(o.exit_code, 0) << o.err.substr(0, 300);
    EXPECT_NE(o.out.find("\"seed\": 2048"), std::string::npos) << o.out.substr(0, 300);
}

TEST(HostileInput, RecursiveYamlAnchor) {
    TempDir tmp;
    expect_refused(expand(tmp, "name: r\nmodel: testing.arith\ndescription: &a {b: *a}\n"),
                   "nested deeper than 64 levels (or an alias that contains itself)");
}

TEST(HostileInput, AliasBombUnderDescription) {
    TempDir tmp;
    std::string text = "name: bomb\nmodel: testing.arith\ndescription:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'j'; ++c) {
        const char prev = static_cast<char>(c - 1);
        text += std::string("  ") + c + ": &" + c + " [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev +
                ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]\n";
    }
    expect_refused(expand(tmp, text), "more than 1000000 values with aliases expanded");
}

TEST(HostileInput, BaseFileThatIsNotAFile) {
    TempDir tmp;
    ASSERT_EQ(::mkfifo((tmp / "fifo").c_str(), 0644), 0);
    fs::create_directories(tmp / "folder");
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"/dev/zero", "is not a regular file"},
        {"/dev/urandom", "is not a regular file"},
        {(tmp / "fifo").string(), "is not a regular file"},
        {(tmp / "folder").string(), "is a folder, not a file"},
        {(tmp / "sweep.yaml").string(), "is the sweep file itself"},
    };
    for (const auto& [base, reason] : cases) {
        SCOPED_TRACE(base);
        expect_refused(expand(tmp, "name: b\nmodel: testing.arith\nbase_file: " + base + "\n"), "base_file: '" + base + "' " + reason);
    }
    // The sweep file itself is checked the same way.
    expect_refused(run({"expand", "/dev/zero"}, tmp.path()), "is not a regular file");
}

TEST(HostileInput, SweepFileLargerThanTwoMebibytes) {
    TempDir tmp;
    // A 2-million-value axis: refused by size before parsing.
    std::string text = "name: big\nmodel: testing.arith\ngrid:\n  seed: [";
    for (int i = 0; i < 2000000; ++i) text += std::to_string(i % 10) + ",";
    text += "0]\n";
    expect_refused(expand(tmp, text), "is larger than 2 MiB");
}

TEST(HostileInput, JobCountsBeyondTheMaximum) {
    TempDir tmp;
    // repeat: 1e8 used to allocate its axis (~60 GB projected) before anything was checked.
    expect_refused(expand(tmp, "name: r\nmodel: testing.arith\nrepeat: 100000000\n"),
                   "repeat: expected a whole number of runs from 1 to 4000000");
    // 16 axes of 16 values: 2^64 jobs, which wrapped to 0 in a 64-bit count.
    std::string grid = "name: g\nmodel: testing.arith\ngrid:\n";
    for (int a = 0; a < 16; ++a) {
        grid += "  p" + std::to_string(a) + ": [";
        for (int v = 0; v < 16; ++v) grid += std::to_string(v) + (v < 15 ? ", " : "]\n");
    }
    expect_refused(expand(tmp, grid), "the sweep has more than 4000000 jobs");
    // 2001 x 2000 jobs: just over the maximum, with small axes.
    std::string x = "[", y = "[";
    for (int i = 0; i < 2001; ++i) x += std::to_string(i) + (i < 2000 ? "," : "]");
    for (int i = 0; i < 2000; ++i) y += std::to_string(i) + (i < 1999 ? "," : "]");
    expect_refused(expand(tmp, "name: g\nmodel: testing.arith\ngrid:\n  x: " + x + "\n  y: " + y + "\n"),
                   "the sweep has more than 4000000 jobs");
}

TEST(HostileInput, ThreadCountAndTimeoutBounds) {
    TempDir tmp;
    write(tmp / "ok.yaml", "name: ok\nmodel: testing.noop\n");
    const std::string sweep = (tmp / "ok.yaml").string(), out = (tmp / "out").string();
    for (const char* j : {"2000000000", "0", "1025"}) {
        const Outcome o = run({"run", sweep, "--out", out, "-j", j}, tmp.path());
        EXPECT_EQ(o.exit_code, 2) << j << ": " << o.err;
        EXPECT_NE(o.err.find("-j"), std::string::npos) << o.err;
    }
    for (const char* t : {"inf", "1e10", "nan"}) {
        const Outcome o = run({"run", sweep, "--out", out, "--timeout", t}, tmp.path());
        EXPECT_EQ(o.exit_code, 2) << t << ": " << o.err;
        EXPECT_NE(o.err.find("--timeout"), std::string::npos) << o.err;
    }
    EXPECT_FALSE(fs::exists(tmp / "out")) << "nothing is written for refused arguments";
    for (const std::string t : {".inf", "1e10"}) {
        expect_refused(expand(tmp, "name: t\nmodel: testing.noop\ntimeout: " + t + "\n"),
                       "timeout: expected a positive number of seconds, at most 1e7");
    }
    // Inside the bounds, a long timeout is an ordinary deadline: the job runs and is done.
    // (1024 threads reserve 8 GiB of stacks: address space, not memory.)
    Limits many_threads;
    many_threads.memory_bytes = std::size_t{16} << 30;
    const Outcome o = run({"run", sweep, "--out", out, "-j", "1024", "--timeout", "1e7", "-q"}, tmp.path(), many_threads);
    EXPECT_EQ(o.exit_code, 0) << o.err;
}

TEST(HostileInput, SymlinkedDatabaseSharesTheLock) {
    TempDir tmp;
    write(tmp / "ok.yaml", "name: ok\nmodel: testing.noop\n");
    fs::create_directories(tmp / "real");
    fs::create_directories(tmp / "links");
    fs::create_symlink(tmp / "real", tmp / "links" / "dir");
    // Another runner holds the lock of the real database...
    const sr::IndexLock held(tmp / "real" / "index.db", sr::IndexLock::Mode::fail_if_held);
    // ...so a runner reaching it through a symlinked folder, or a path with "..", must not start.
    for (const fs::path& db : {tmp / "links" / "dir" / "index.db", tmp / "links" / ".." / "real" / "index.db"}) {
        const Outcome o = run({"run", (tmp / "ok.yaml").string(), "--db", db.string(), "--out", (tmp / "out").string()},
                              tmp.path());
        EXPECT_EQ(o.exit_code, 2) << o.err;
        EXPECT_NE(o.err.find("another sweep_runner is running on this database"), std::string::npos) << o.err;
    }
}

}  // namespace
