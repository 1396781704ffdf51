// A kill -9 storm: the runner is killed again and again at times spread over its whole run —
// registration, jobs, commits and the end-of-run summary — and then run to the end. Every job ends
// done exactly once with its payload intact, and the index passes SQLite's integrity check.
#include "core/sha256.hpp"
#include "db/sqlite.hpp"
#include "hostile_support.hpp"

#include <random>
#include <set>

namespace {
using namespace hostile;

TEST(HostileStorm, KillNineAtEveryPhaseIncludingTheSummary) {
    TempDir tmp;
    const int jobs = 400;
    write(tmp / "sweep.yaml", "name: storm\nmodel: testing.arith\nparams:\n  length: 64\nrepeat: " + std::to_string(jobs) +
                                  "\nderive:\n  seed: \"index\"\n");
    const fs::path db = tmp / "index.db", out = tmp / "out";
    const std::vector<std::string> args = {"run", (tmp / "sweep.yaml").string(), "--db", db.string(),
                                           "--out", out.string(), "-j", "2"};
    // One undisturbed run's length sets the range of kill times, so that on a slow or a loaded
    // machine the kills still land in every phase, the summary included.
    TempDir probe;
    const auto timed = std::chrono::steady_clock::now();
    ASSERT_EQ(run({"run", (tmp / "sweep.yaml").string(), "--out", (probe / "out").string(), "-j", "2"}, probe.path()).exit_code, 0);
    const double full_run = std::chrono::duration<double>(std::chrono::steady_clock::now() - timed).count();

    std::mt19937 random(21);  // fixed: the same kill times every run of the test
    std::uniform_real_distribution<double> when(0.0, 1.1 * full_run);
    int finished_before_the_kill = 0;
    for (int kill = 0; kill < 10; ++kill) {
        const pid_t pid = start(args, tmp.path());
        std::this_thread::sleep_for(std::chrono::duration<double>(when(random)));
        ::kill(pid, SIGKILL);
        int status = 0;
        ::waitpid(pid, &status, 0);
        if (WIFEXITED(status)) ++finished_before_the_kill;
    }
    const Outcome last = run(args, tmp.path());
    ASSERT_EQ(last.exit_code, 0) << last.err;
    EXPECT_LT(finished_before_the_kill, 10) << "no kill landed while the runner ran";

    sr::sql::Connection index(db.string(), false, true);
    auto integrity = index.prepare("PRAGMA integrity_check");
    ASSERT_TRUE(integrity.step());
    EXPECT_EQ(integrity.get_text(0), "ok");
    auto rows = index.prepare("SELECT key, status, payload_path, payload_sha256 FROM jobs");
    std::set<std::string> keys;
    while (rows.step()) {
        EXPECT_TRUE(keys.insert(rows.get_text(0)).second) << "a job registered twice";
        EXPECT_EQ(rows.get_text(1), "done");
        const fs::path payload = db.parent_path() / rows.get_text(2);  // relative to the index's folder
        ASSERT_TRUE(fs::exists(payload)) << payload;
        EXPECT_EQ(sr::sha256_file(payload), rows.get_text(3)) << payload;
    }
    EXPECT_EQ(keys.size(), static_cast<std::size_t>(jobs));
    // Every payload file belongs to a job, and no killed writer's temporary file is left.
    std::size_t files = 0;
    for (const auto& entry : fs::recursive_directory_iterator(out / "storm")) {
        if (!entry.is_regular_file()) continue;
        ++files;
        EXPECT_EQ(entry.path().extension(), ".h5") << entry.path();
    }
    EXPECT_EQ(files, static_cast<std::size_t>(jobs));
}

}  // namespace
