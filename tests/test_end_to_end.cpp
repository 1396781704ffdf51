// End to end through the CLI binary (fork/exec): a 200-job arith sweep on 2 threads, failures and
// retries, timeouts, resume and edited sweeps, SIGKILL at several points, SIGTERM.
#include "core/models/testing/testing_models.hpp"
#include "core/sha256.hpp"
#include "db/payload.hpp"
#include "db/store.hpp"
#include "scheduler/expansion.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <set>

namespace sr {
namespace {

using test::TempDir;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct JobRow {
    std::string key, status, error, payload_path, payload_sha256, host;
    std::int64_t index = 0;
    int attempts = 0;
    double finished = 0;
    Json params, tags;
    std::map<std::string, double> metrics;
};

// Every job of a sweep as the index records it (read-only connection).
std::map<std::string, JobRow> read_jobs(const fs::path& db, const std::string& sweep, bool include_retired = false) {
    Store store(db.string(), /*read_only=*/true);
    auto& c = store.connection();
    auto select = c.prepare(
        "SELECT j.key, j.status, coalesce(j.error, ''), coalesce(j.payload_path, ''), "
        "coalesce(j.payload_sha256, ''), coalesce(j.host, ''), j.idx, j.attempts, coalesce(j.finished, 0), "
        "j.params, j.tags, j.id FROM jobs j JOIN sweeps s ON s.id = j.sweep_id "
        "WHERE s.name = ? AND (j.retired = 0 OR ?)");
    select.bind(1, sweep).bind(2, include_retired ? 1 : 0);
    auto metrics = c.prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    std::map<std::string, JobRow> out;
    while (select.step()) {
        JobRow r;
        r.key = select.get_text(0);
        r.status = select.get_text(1);
        r.error = select.get_text(2);
        r.payload_path = store.resolve_path(select.get_text(3));
        r.payload_sha256 = select.get_text(4);
        r.host = select.get_text(5);
        r.index = select.get_int(6);
        r.attempts = static_cast<int>(select.get_int(7));
        r.finished = select.get_double(8);
        r.params = Json::parse(select.get_text(9));
        r.tags = Json::parse(select.get_text(10));
        metrics.bind(1, select.get_int(11));
        while (metrics.step()) r.metrics[metrics.get_text(0)] = metrics.get_double(1);
        metrics.reset();
        EXPECT_TRUE(out.emplace(r.key, r).second) << "duplicate row for " << r.key;
    }
    return out;
}

std::int64_t count_rows(const fs::path& db, const std::string& sql) {
    Store store(db.string(), true);
    auto st = store.connection().prepare(sql);
    st.step();
    return st.get_int(0);
}

// The crash invariant: a `done` row always names a complete payload with the recorded checksum.
void expect_done_rows_have_valid_payloads(const std::map<std::string, JobRow>& jobs, const fs::path& out_dir,
                                          const std::string& sweep) {
    for (const auto& [key, row] : jobs) {
        if (row.status != "done") continue;
        SCOPED_TRACE(key);
        const fs::path expected_path = fs::absolute(out_dir / sweep / key.substr(0, 2) / (key + ".h5"));
        EXPECT_EQ(row.payload_path, expected_path.string());
        ASSERT_TRUE(fs::exists(row.payload_path));
        EXPECT_EQ(sha256_file(row.payload_path), row.payload_sha256);
        const PayloadContents contents = read_payload_summary(row.payload_path);
        EXPECT_EQ(contents.attributes["key"], key);
        EXPECT_EQ(Json::parse(contents.attributes["params_json"].get<std::string>()), row.params);
        EXPECT_EQ(contents.metrics, row.metrics);
    }
}

std::size_t count_files(const fs::path& dir, const std::string& suffix, bool contains = false) {
    std::size_t n = 0;
    if (!fs::exists(dir)) return 0;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        const bool match = contains ? name.find(suffix) != std::string::npos
                                    : name.size() >= suffix.size() &&
                                          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
        if (e.is_regular_file() && match) ++n;
    }
    return n;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

const char* const arith_sweep = R"(name: e2e
model: testing.arith
tags: {purpose: e2e}
grid:
  x: [-1.5, 0, 0.5, 2, 3.25]
  y: [-2, 1, 4, 10]
  length: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
derive:
  seed: "1000 + index"
)";

class EndToEnd : public ::testing::Test {
protected:
    fs::path sweep_file() const { return work / "e2e.yaml"; }
    fs::path out() const { return work / "out"; }
    fs::path db() const { return work / "out" / "index.db"; }
    test::ProcessResult cli(std::vector<std::string> args) { return test::run_cli(args, logs.path(), work.path()); }
    test::ProcessResult run(const fs::path& sweep, std::vector<std::string> extra = {}) {
        std::vector<std::string> args = {"run", sweep.string(), "--out", out().string(), "--db", db().string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return cli(args);
    }

    TempDir work, logs;
};

TEST_F(EndToEnd, ArithSweepOf200JobsOnTwoThreads) {
    test::write_text(sweep_file(), arith_sweep);
    const std::vector<Job> expected_jobs = expand(load_sweep(sweep_file()), builtin_models());
    ASSERT_EQ(expected_jobs.size(), 200u);

    const auto r = run(sweep_file(), {"-j", "2"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(first_line(r.err), "sweep e2e: 200 jobs, 200 to run; index " + db().string());
    EXPECT_NE(r.err.find("done 200/200  failed 0  running 0"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("sweep e2e: 200 done, 0 failed, 0 not run\n"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("payloads: " + fs::absolute(out() / "e2e").string() + "/\n"), std::string::npos);

    const auto jobs = read_jobs(db(), "e2e");
    ASSERT_EQ(jobs.size(), 200u);
    std::set<std::string> hosts;
    for (const Job& expected : expected_jobs) {
        SCOPED_TRACE(expected.index);
        const JobRow& row = jobs.at(expected.key);
        EXPECT_EQ(row.status, "done");
        EXPECT_EQ(row.attempts, 1);
        EXPECT_EQ(row.error, "");
        EXPECT_EQ(row.index, expected.index);
        EXPECT_EQ(row.params, expected.params);
        EXPECT_EQ(row.tags, Json({{"purpose", "e2e"}}));
        hosts.insert(row.host);
        const double x = expected.params["x"], y = expected.params["y"];
        const long long seed = expected.params["seed"];
        EXPECT_EQ(seed, 1000 + expected.index);
        EXPECT_EQ(row.metrics, (std::map<std::string, double>{
                                   {"sum", x + y}, {"product", x * y}, {"noise", testing_arith_noise(seed)}}));
    }
    EXPECT_EQ(hosts, std::set<std::string>{hostname()});
    expect_done_rows_have_valid_payloads(jobs, out(), "e2e");
    EXPECT_EQ(count_files(out() / "e2e", ".h5"), 200u);
    EXPECT_EQ(count_files(out(), ".tmp.", true), 0u);

    // Payload datasets: series[i] = x * i + y + noise, seed as a 0-d integer.
    for (const Job& j : {expected_jobs[0], expected_jobs[57], expected_jobs[199]}) {
        const std::string path = jobs.at(j.key).payload_path;
        const PayloadContents c = read_payload_summary(path);
        const std::size_t length = j.params["length"].get<std::size_t>();
        ASSERT_EQ(c.datasets.size(), 2u);
        EXPECT_EQ(c.datasets[0].name, "seed");
        EXPECT_EQ(c.datasets[0].type, "int64");
        EXPECT_EQ(c.datasets[0].shape, std::vector<std::size_t>{});
        EXPECT_EQ(c.datasets[1].name, "series");
        EXPECT_EQ(c.datasets[1].type, "float64");
        EXPECT_EQ(c.datasets[1].shape, std::vector<std::size_t>{length});
        EXPECT_EQ(c.attributes["model"], "testing.arith");
        EXPECT_EQ(c.attributes["sweep"], "e2e");
        EXPECT_EQ(c.attributes["index"], static_cast<double>(j.index));
        const double x = j.params["x"], y = j.params["y"];
        const long long seed = j.params["seed"];
        const Array series = read_payload_array(path, "series");
        ASSERT_EQ(series.reals().size(), length);
        for (std::size_t i = 0; i < length; ++i) {
            EXPECT_EQ(series.reals()[i], x * static_cast<double>(i) + y + testing_arith_noise(seed));
        }
        EXPECT_EQ(read_payload_array(path, "seed").reals(), std::vector<double>{static_cast<double>(seed)});
    }

    // results --format csv: varying parameters, tags, then metrics; rows in expansion order; numbers
    // in their shortest round-trip form.
    const auto csv = cli({"results", db().string(), "--sweep", "e2e", "--format", "csv"});
    ASSERT_EQ(csv.exit_code, 0) << csv.err;
    // SQLite stores a REAL -0.0 as 0 (the payload keeps the sign): 0 * -2 reads back as 0.0.
    auto number = [](double v) { return Json(v == 0.0 ? 0.0 : v).dump(); };
    std::vector<std::string> expected_csv = {"index,key,status,length,seed,x,y,tag.purpose,noise,product,sum"};
    for (const Job& j : expected_jobs) {
        const double x = j.params["x"], y = j.params["y"];
        const long long seed = j.params["seed"];
        expected_csv.push_back(std::to_string(j.index) + "," + j.key + ",done," + j.params["length"].dump() + "," +
                               std::to_string(seed) + "," + number(x) + "," + number(y) + ",e2e," +
                               number(testing_arith_noise(seed)) + "," + number(x * y) + "," + number(x + y));
    }
    const auto csv_lines = test::split_lines(csv.out);
    ASSERT_EQ(csv_lines.size(), expected_csv.size());
    for (std::size_t i = 0; i < csv_lines.size(); ++i) EXPECT_EQ(csv_lines[i], expected_csv[i]) << "line " << i;
    EXPECT_EQ(csv_lines[2], "1," + expected_jobs[1].key + ",done,2,1001,-1.5,-2.0,e2e," +
                                Json(testing_arith_noise(1001)).dump() + ",3.0,-3.5");
    EXPECT_EQ(csv.out.back(), '\n');

    // --where on a parameter and a metric, chosen columns.
    const auto filtered = cli({"results", db().string(), "--sweep", "e2e", "--where", "x>=2 and length=3 and sum>4",
                               "--columns", "x,y,sum", "--format", "csv"});
    ASSERT_EQ(filtered.exit_code, 0) << filtered.err;
    EXPECT_EQ(filtered.out, "x,y,sum\n2.0,4.0,6.0\n2.0,10.0,12.0\n3.25,1.0,4.25\n3.25,4.0,7.25\n3.25,10.0,13.25\n");
    const auto bad_where = cli({"results", db().string(), "--sweep", "e2e", "--where", "z=1"});
    EXPECT_EQ(bad_where.exit_code, 2);
    EXPECT_EQ(bad_where.err, "error: --where: unknown column 'z'\n");

    const auto status = cli({"status", db().string()});
    EXPECT_EQ(status.exit_code, 0);
    EXPECT_EQ(status.out, "e2e: 200 done, 0 failed, 0 running, 0 pending\n");

    const auto show = cli({"show", db().string(), expected_jobs[57].key.substr(0, 10)});
    ASSERT_EQ(show.exit_code, 0) << show.err;
    EXPECT_NE(show.out.find("key:      " + expected_jobs[57].key + "\n"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("status:   done  attempts 1\n"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("  series  float64  (" + expected_jobs[57].params["length"].dump() + ",)\n"),
              std::string::npos)
        << show.out;
    EXPECT_NE(show.out.find("  seed  int64  ()\n"), std::string::npos) << show.out;

    // Resume: the same command runs nothing.
    const auto again = run(sweep_file(), {"-j", "2"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_EQ(first_line(again.err), "sweep e2e: 200 jobs, 0 to run; index " + db().string());
    const auto after = read_jobs(db(), "e2e");
    for (const auto& [key, row] : jobs) {
        EXPECT_EQ(after.at(key).attempts, 1);
        EXPECT_EQ(after.at(key).finished, row.finished);
    }

    // Edited: one more x value (outermost axis, so existing indices and seeds stay) adds 40 jobs.
    std::string edited = arith_sweep;
    edited.replace(edited.find("3.25]"), 5, "3.25, 4]");
    test::write_text(sweep_file(), edited);
    const auto grown = run(sweep_file(), {"-j", "2"});
    EXPECT_EQ(grown.exit_code, 0) << grown.err;
    EXPECT_EQ(first_line(grown.err), "sweep e2e: 240 jobs, 40 to run; index " + db().string());
    const auto after_edit = read_jobs(db(), "e2e");
    ASSERT_EQ(after_edit.size(), 240u);
    for (const auto& [key, row] : after_edit) {
        EXPECT_EQ(row.status, "done");
        EXPECT_EQ(row.attempts, 1);
        if (jobs.count(key)) EXPECT_EQ(row.finished, jobs.at(key).finished) << "old job ran again";
        else EXPECT_EQ(row.params["x"], 4.0);
    }
    expect_done_rows_have_valid_payloads(after_edit, out(), "e2e");
    // And shrunk back: the 40 are retired, nothing runs.
    test::write_text(sweep_file(), arith_sweep);
    const auto shrunk = run(sweep_file(), {"-j", "2"});
    EXPECT_EQ(shrunk.exit_code, 0);
    EXPECT_EQ(first_line(shrunk.err), "sweep e2e: 200 jobs, 0 to run; index " + db().string());
    EXPECT_EQ(cli({"status", db().string()}).out, "e2e: 200 done, 0 failed, 0 running, 0 pending (40 retired)\n");
}

TEST_F(EndToEnd, FailuresAreRecordedWhileTheOthersCompleteAndRetried) {
    const fs::path sweep = work / "fails.yaml";
    test::write_text(sweep, "name: fails\nmodel: testing.fail\ngrid:\n  mode: [ok, throw, nan]\n  value: [1, 2.5, 3]\n");
    const auto keys = expand(load_sweep(sweep), builtin_models());
    const auto r = run(sweep, {"-j", "2"});
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.out.find("sweep fails: 3 done, 6 failed, 0 not run\n"), std::string::npos) << r.out;
    auto jobs = read_jobs(db(), "fails");
    ASSERT_EQ(jobs.size(), 9u);
    for (const Job& j : keys) {
        const JobRow& row = jobs.at(j.key);
        const std::string mode = j.params["mode"];
        const double value = j.params["value"];
        EXPECT_EQ(row.attempts, 1);
        if (mode == "ok") {
            EXPECT_EQ(row.status, "done");
            EXPECT_EQ(row.metrics, (std::map<std::string, double>{{"value", value}}));
        } else if (mode == "throw") {
            EXPECT_EQ(row.status, "failed");
            char expected[64];
            std::snprintf(expected, sizeof expected, "failing on request (value %f)", value);
            EXPECT_EQ(row.error, expected);
            EXPECT_TRUE(row.metrics.empty());
            EXPECT_EQ(row.payload_path, "");
        } else {
            EXPECT_EQ(row.status, "failed");
            EXPECT_EQ(row.error, "metric 'value' is NaN");
            EXPECT_EQ(row.payload_path, "");
        }
    }
    expect_done_rows_have_valid_payloads(jobs, out(), "fails");
    EXPECT_EQ(count_files(out() / "fails", ".h5"), 3u);  // failed jobs leave no payload

    // Failures grouped by error, the largest group first, each with an example job.
    const auto status = cli({"status", db().string()});
    const auto lines = test::split_lines(status.out);
    ASSERT_EQ(lines.size(), 10u) << status.out;
    EXPECT_EQ(lines[0], "fails: 3 done, 6 failed, 0 running, 0 pending");
    EXPECT_EQ(lines[1], "  3 failed: metric 'value' is NaN");
    EXPECT_EQ(lines[2], "    e.g. " + keys[6].key.substr(0, 12) + " " + Json::parse(keys[6].params.dump()).dump());
    EXPECT_EQ(lines[3], "  1 failed: failing on request (value 1.000000)");
    EXPECT_EQ(lines[4], "    e.g. " + keys[3].key.substr(0, 12) + " " + Json::parse(keys[3].params.dump()).dump());
    EXPECT_EQ(lines[9], "  run them again: sweep_runner run SWEEP.yaml --retry-failed");

    const auto show = cli({"show", db().string(), keys[3].key});
    EXPECT_EQ(show.exit_code, 0);
    EXPECT_NE(show.out.find("status:   failed  attempts 1\n"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("error:    failing on request (value 1.000000)\n"), std::string::npos) << show.out;
    EXPECT_NE(show.out.find("metrics:\n"), std::string::npos);
    EXPECT_EQ(show.out.find("payload:"), std::string::npos) << show.out;
    const auto missing = cli({"show", db().string(), "0123abc"});
    EXPECT_EQ(missing.exit_code, 2);
    EXPECT_EQ(missing.err, "error: no job with key 0123abc in " + db().string() + "\n");

    const auto json = cli({"results", db().string(), "--sweep", "fails", "--format", "json"});
    ASSERT_EQ(json.exit_code, 0) << json.err;
    const Json rows = Json::parse(json.out);
    ASSERT_EQ(rows.size(), 9u);
    // The metric `value` is named like the parameter `value`: its column is value_metric.
    EXPECT_EQ(rows[0], Json({{"index", 0}, {"key", keys[0].key}, {"status", "done"}, {"mode", "ok"},
                             {"value", 1.0}, {"value_metric", 1.0}}));
    EXPECT_EQ(rows[4], Json({{"index", 4}, {"key", keys[4].key}, {"status", "failed"}, {"mode", "throw"},
                             {"value", 2.5}, {"value_metric", nullptr}}));
    const auto by_metric = cli({"results", db().string(), "--sweep", "fails", "--where", "value_metric>=2",
                                "--columns", "index,value,value_metric", "--format", "csv"});
    EXPECT_EQ(by_metric.out, "index,value,value_metric\n1,2.5,2.5\n2,3.0,3.0\n");
    const auto by_param = cli({"results", db().string(), "--sweep", "fails", "--where", "value>=2 and mode!=ok",
                               "--columns", "index,value,value_metric", "--format", "csv"});
    EXPECT_EQ(by_param.out, "index,value,value_metric\n4,2.5,\n5,3.0,\n7,2.5,\n8,3.0,\n");

    // A plain rerun does not run failed jobs again, and says so and how.
    const auto again = run(sweep, {"-j", "2"});
    EXPECT_EQ(again.exit_code, 1);
    const auto again_lines = test::split_lines(again.err);
    ASSERT_GE(again_lines.size(), 2u);
    EXPECT_EQ(again_lines[0], "sweep fails: 9 jobs, 0 to run; index " + db().string());
    EXPECT_EQ(again_lines[1], "6 jobs failed in an earlier run and are not retried: add --retry-failed to run them "
                              "again (see why: sweep_runner status " + db().string() + ")");
    // --retry-failed --retries 2: each failed job gets 1 + 2 attempts in this run, whatever it had before.
    const auto retried = run(sweep, {"-j", "2", "--retry-failed", "--retries", "2"});
    EXPECT_EQ(retried.exit_code, 1);
    EXPECT_EQ(first_line(retried.err), "sweep fails: 9 jobs, 6 to run; index " + db().string());
    jobs = read_jobs(db(), "fails");
    for (const auto& [key, row] : jobs) EXPECT_EQ(row.attempts, row.status == "done" ? 1 : 4) << key;
    // Progress counts jobs, not attempts: 6 failed jobs, not 18 failed attempts.
    EXPECT_NE(retried.err.find("done 0/6  failed 6"), std::string::npos) << retried.err;

    // Fresh index, --retries 1: two attempts within one run.
    const fs::path db2 = work / "second.db";
    const auto fresh = cli({"run", sweep.string(), "--out", out().string(), "--db", db2.string(), "-j", "2",
                            "--retries", "1", "--quiet"});
    EXPECT_EQ(fresh.exit_code, 1);
    EXPECT_EQ(fresh.out, "");
    EXPECT_EQ(fresh.err, "");
    for (const auto& [key, row] : read_jobs(db2, "fails")) EXPECT_EQ(row.attempts, row.status == "done" ? 1 : 2);
}

TEST_F(EndToEnd, TimeoutIsAFailureWithItsMessage) {
    const fs::path sweep = work / "slow.yaml";
    test::write_text(sweep, "name: slow\nmodel: testing.sleep\ngrid:\n  seconds: [0.01, 30]\n");
    const auto start = std::chrono::steady_clock::now();
    const auto r = run(sweep, {"-j", "2", "--timeout", "0.3"});
    const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_LT(elapsed, 5.0);
    const auto jobs = read_jobs(db(), "slow");
    ASSERT_EQ(jobs.size(), 2u);
    for (const auto& [key, row] : jobs) {
        if (row.params["seconds"] == 30.0) {
            EXPECT_EQ(row.status, "failed");
            EXPECT_EQ(row.error, "timeout: exceeded 0.3 s");
        } else {
            EXPECT_EQ(row.status, "done");
            EXPECT_EQ(row.metrics.at("slept"), 0.01);
        }
    }
    // The sweep's own `timeout:` applies when --timeout is not given.
    const fs::path own = work / "own.yaml";
    test::write_text(own, "name: own\nmodel: testing.sleep\ntimeout: 0.2\ngrid:\n  seconds: [20]\n");
    const auto r2 = run(own, {"-j", "1"});
    EXPECT_EQ(r2.exit_code, 1);
    EXPECT_EQ(read_jobs(db(), "own").begin()->second.error, "timeout: exceeded 0.2 s");
}

std::string sleep_sweep(const std::string& name, const std::vector<double>& seconds, int copies) {
    std::string text = "name: " + name + "\nmodel: testing.sleep\ngrid:\n  seconds: [";
    for (std::size_t i = 0; i < seconds.size(); ++i) text += (i ? ", " : "") + Json(seconds[i]).dump();
    text += "]\n  tag: [";
    for (int i = 0; i < copies; ++i) text += (i ? ", " : "") + std::to_string(i);
    return text + "]\n";
}

TEST_F(EndToEnd, SigkillAtSeveralPointsThenResumeRunsEveryJobOnce) {
    const fs::path sweep = work / "crash.yaml";
    test::write_text(sweep, sleep_sweep("crash", {0.02, 0.03, 0.04, 0.05, 0.035}, 30));
    const std::size_t total = 150;
    const std::vector<std::string> args = {"run", sweep.string(), "--out", out().string(), "--db", db().string(), "-j", "2"};

    int kills = 0;
    std::size_t done_before = 0;
    for (const auto delay : {200ms, 500ms, 350ms, 1000ms, 50ms, 700ms}) {
        test::Child child(args, logs.path(), work.path());
        std::this_thread::sleep_for(delay);
        child.signal(SIGKILL);
        const auto r = child.wait();
        if (r.signal != SIGKILL) {
            EXPECT_EQ(r.exit_code, 0) << r.err;  // it finished before the kill: allowed, nothing to test
            break;
        }
        ++kills;
        // After every crash: no done row without its complete payload, no duplicate rows.
        if (!fs::exists(db())) continue;
        const auto jobs = read_jobs(db(), "crash");
        EXPECT_EQ(jobs.size(), total);
        expect_done_rows_have_valid_payloads(jobs, out(), "crash");
        std::size_t done = 0, running = 0;
        for (const auto& [key, row] : jobs) {
            done += row.status == "done";
            running += row.status == "running";
            EXPECT_EQ(row.payload_path.find(".tmp."), std::string::npos);
        }
        EXPECT_LE(running, 2u);  // at most the jobs of the two workers were in flight
        EXPECT_LE(count_files(out(), ".tmp.", true), 2u);  // at most their half-written payloads
        EXPECT_GE(done, done_before);
        done_before = done;
    }
    EXPECT_GE(kills, 3) << "the sweep finished too fast to be killed";
    EXPECT_GT(done_before, 0u) << "no progress between kills";
    EXPECT_LT(done_before, total);

    const auto final_run = test::run_cli(args, logs.path(), work.path());
    ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
    const auto jobs = read_jobs(db(), "crash");
    ASSERT_EQ(jobs.size(), total);
    EXPECT_EQ(count_rows(db(), "SELECT count(DISTINCT key) FROM jobs"), static_cast<std::int64_t>(total));
    int attempts = 0;
    for (const auto& [key, row] : jobs) {
        EXPECT_EQ(row.status, "done") << key;
        EXPECT_GE(row.attempts, 1);
        EXPECT_LE(row.attempts, 1 + kills);
        EXPECT_EQ(row.metrics.at("slept"), row.params["seconds"].get<double>());
        EXPECT_EQ(row.metrics.at("tag"), row.params["tag"].get<double>());
        attempts += row.attempts;
    }
    // A crash can cost at most the attempts of the jobs running at that moment.
    EXPECT_LE(attempts, static_cast<int>(total) + 2 * kills);
    expect_done_rows_have_valid_payloads(jobs, out(), "crash");
    // Exactly one payload per job; temporaries a crash leaves are never recorded as payloads, and
    // the job's next run clears them.
    EXPECT_EQ(count_files(out() / "crash", ".h5"), total);
    EXPECT_EQ(count_files(out(), ".tmp.", true), 0u);

    const auto rerun = test::run_cli(args, logs.path(), work.path());
    EXPECT_EQ(rerun.exit_code, 0);
    EXPECT_EQ(first_line(rerun.err), "sweep crash: 150 jobs, 0 to run; index " + db().string());
}

// The same with jobs that mostly write: 120 payloads of 400 kB, killed every ~0.1-0.25 s, so the
// kills land in HDF5 writes, fsyncs, renames and commits.
TEST_F(EndToEnd, SigkillDuringPayloadWritesNeverRecordsABrokenPayload) {
    const fs::path sweep = work / "big.yaml";
    test::write_text(sweep, "name: big\nmodel: testing.arith\nparams: {length: 50000}\ngrid:\n"
                            "  x: [1, 2, 3, 4, 5, 6]\n"
                            "  seed: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]\n");
    const std::vector<std::string> args = {"run", sweep.string(), "--out", out().string(), "--db", db().string(), "-j", "2"};
    int kills = 0;
    for (const auto delay : {120ms, 180ms, 90ms, 240ms, 150ms, 200ms, 130ms}) {
        test::Child child(args, logs.path(), work.path());
        std::this_thread::sleep_for(delay);
        child.signal(SIGKILL);
        const auto r = child.wait();
        if (r.signal != SIGKILL) break;
        ++kills;
        if (!fs::exists(db())) continue;
        const auto jobs = read_jobs(db(), "big");
        EXPECT_EQ(jobs.size(), 120u);
        expect_done_rows_have_valid_payloads(jobs, out(), "big");
    }
    EXPECT_GE(kills, 2);
    const auto final_run = test::run_cli(args, logs.path(), work.path());
    ASSERT_EQ(final_run.exit_code, 0) << final_run.err;
    const auto jobs = read_jobs(db(), "big");
    ASSERT_EQ(jobs.size(), 120u);
    for (const auto& [key, row] : jobs) {
        ASSERT_EQ(row.status, "done");
        EXPECT_EQ(row.metrics.at("noise"), testing_arith_noise(row.params["seed"].get<long long>()));
    }
    expect_done_rows_have_valid_payloads(jobs, out(), "big");
    const JobRow& one = jobs.begin()->second;
    const Array series = read_payload_array(one.payload_path, "series");
    ASSERT_EQ(series.reals().size(), 50000u);
    const double x = one.params["x"], noise = one.metrics.at("noise");
    EXPECT_EQ(series.reals()[49999], x * 49999.0 + 0.0 + noise);
    EXPECT_EQ(count_files(out() / "big", ".h5"), 120u);
    EXPECT_EQ(count_files(out(), ".tmp.", true), 0u);
}

TEST_F(EndToEnd, SigtermStopsPromptlyWithExitThreeAndResumes) {
    const fs::path sweep = work / "term.yaml";
    // 24 jobs of 0.4 s on 2 threads: about 5 s of work, stopped after 0.7 s with jobs mid-sleep.
    test::write_text(sweep, sleep_sweep("term", {0.4}, 24));
    const std::vector<std::string> args = {"run", sweep.string(), "--out", out().string(), "--db", db().string(), "-j", "2"};
    test::Child child(args, logs.path(), work.path());
    std::this_thread::sleep_for(700ms);
    // WAL: `status` reads the index while the run writes it.
    const auto status = test::run_cli({"status", db().string()}, logs.path(), work.path());
    EXPECT_EQ(status.exit_code, 0) << status.err;
    int done_now = -1, failed_now = -1, running_now = -1, pending_now = -1;
    ASSERT_EQ(std::sscanf(status.out.c_str(), "term: %d done, %d failed, %d running, %d pending", &done_now,
                          &failed_now, &running_now, &pending_now),
              4)
        << status.out;
    EXPECT_EQ(done_now + failed_now + running_now + pending_now, 24);
    EXPECT_EQ(failed_now, 0);
    EXPECT_LE(running_now, 2);
    child.signal(SIGTERM);
    const auto signalled = std::chrono::steady_clock::now();
    const auto r = child.wait();
    const double stop_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - signalled).count();
    EXPECT_EQ(r.exit_code, 3) << r.err;
    EXPECT_LT(stop_seconds, 2.0);  // well before the ~4 s of work left: running jobs are cancelled
    auto jobs = read_jobs(db(), "term");
    ASSERT_EQ(jobs.size(), 24u);
    std::size_t done = 0, pending = 0;
    for (const auto& [key, row] : jobs) {
        if (row.status == "done") {
            ++done;
            EXPECT_EQ(row.attempts, 1);
        } else {
            EXPECT_EQ(row.status, "pending") << key;  // interrupted jobs go back, nothing left running
            EXPECT_EQ(row.attempts, 0) << key;        // and the interrupted attempt does not count
            ++pending;
        }
    }
    EXPECT_GT(done, 0u);
    EXPECT_GT(pending, 0u);
    EXPECT_NE(r.out.find("sweep term: " + std::to_string(done) + " done, 0 failed, " + std::to_string(pending) +
                         " not run\n"),
              std::string::npos)
        << r.out;
    expect_done_rows_have_valid_payloads(jobs, out(), "term");

    const auto resumed = test::run_cli(args, logs.path(), work.path());
    EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
    EXPECT_EQ(first_line(resumed.err),
              "sweep term: 24 jobs, " + std::to_string(pending) + " to run; index " + db().string());
    jobs = read_jobs(db(), "term");
    for (const auto& [key, row] : jobs) {
        EXPECT_EQ(row.status, "done");
        EXPECT_EQ(row.attempts, 1);
    }
    expect_done_rows_have_valid_payloads(jobs, out(), "term");
}

TEST_F(EndToEnd, SecondRunnerOnTheSameIndexIsRefused) {
    const fs::path sweep = work / "lock.yaml";
    test::write_text(sweep, sleep_sweep("lock", {0.2}, 10));
    const std::vector<std::string> args = {"run", sweep.string(), "--out", out().string(), "--db", db().string(), "-j", "1"};
    test::Child first(args, logs.path(), work.path());
    // wait until the first one holds the lock (its index exists)
    for (int i = 0; i < 200 && !fs::exists(db()); ++i) std::this_thread::sleep_for(10ms);
    std::this_thread::sleep_for(100ms);
    const auto second = test::run_cli(args, logs.path(), work.path());
    EXPECT_EQ(second.exit_code, 2);
    EXPECT_EQ(second.err, "error: " + db().string() + ": another sweep_runner is running on this database\n");
    first.signal(SIGTERM);
    EXPECT_EQ(first.wait().exit_code, 3);
}

}  // namespace
}  // namespace sr

namespace sr {
namespace {

// docs/python.md shows the snippet of tools/load_results_example.py; the script runs on a sweep
// run here, with Debian's /usr/bin/python3 (python3-pandas, python3-h5py).
class Python : public ::testing::Test {
protected:
    static fs::path script() { return test::source_dir() / "tools" / "load_results_example.py"; }

    // Runs a program (not the CLI) and captures its stdout and stderr.
    static test::ProcessResult run_program(const std::vector<std::string>& argv, const fs::path& log_dir) {
        const fs::path out = log_dir / "py.out", err = log_dir / "py.err";
        std::string command;
        for (const std::string& a : argv) command += "'" + a + "' ";
        const int status = std::system((command + ">'" + out.string() + "' 2>'" + err.string() + "'").c_str());
        test::ProcessResult r;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = test::read_text(out);
        r.err = test::read_text(err);
        return r;
    }

    TempDir work, logs;
};

TEST_F(Python, DocsShowTheScriptsSnippet) {
    const std::string code = test::read_text(script());
    const std::string begin = "# --- snippet begin ---\n", end = "# --- snippet end ---";
    const auto b = code.find(begin), e = code.find(end);
    ASSERT_NE(b, std::string::npos);
    ASSERT_NE(e, std::string::npos);
    const std::string snippet = code.substr(b + begin.size(), e - b - begin.size());
    EXPECT_GT(snippet.size(), 500u);
    const std::string docs = test::read_text(test::source_dir() / "docs" / "python.md");
    EXPECT_NE(docs.find("```python\n" + snippet + "```\n"), std::string::npos)
        << "docs/python.md must show the snippet of tools/load_results_example.py verbatim";
    EXPECT_NE(docs.find("/usr/bin/python3"), std::string::npos);
}

TEST_F(Python, LoadsResultsIntoPandasAndReadsAPayload) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
    const auto probe = run_program({"/usr/bin/python3", "-c", "import pandas, h5py"}, logs.path());
    ASSERT_EQ(probe.exit_code, 0) << "install python3-pandas and python3-h5py (tools/install_deps.sh): " << probe.err;

    const fs::path sweep = work / "py.yaml";
    test::write_text(sweep, R"(name: py
model: testing.arith
tags: {purpose: docs}
grid:
  x: [0.5, 2]
  group.label: [p, q, r]
  pair:
    - {y: 1}
    - {y: 3, tags: {big: yes}}
derive:
  seed: "10 + index"
)");
    const fs::path fails = work / "f.yaml";
    test::write_text(fails, "name: f\nmodel: testing.fail\ngrid:\n  mode: [ok, throw]\n  value: [1, 2]\n");
    const fs::path db = work / "out" / "index.db";
    for (const fs::path& s : {sweep, fails}) {
        const auto r = test::run_cli({"run", s.string(), "--out", (work / "out").string(), "-j", "2", "-q"},
                                     logs.path(), work.path());
        ASSERT_TRUE(r.exit_code == 0 || s == fails) << r.err;
    }
    const std::vector<Job> jobs = expand(load_sweep(sweep), builtin_models());
    ASSERT_EQ(jobs.size(), 12u);
    double noise_sum = 0;
    for (const Job& j : jobs) noise_sum += testing_arith_noise(j.params["seed"].get<long long>());
    char mean_noise[64], noise0[64];
    std::snprintf(mean_noise, sizeof mean_noise, "%.6f", noise_sum / 12);
    std::snprintf(noise0, sizeof noise0, "%.6f", testing_arith_noise(10));

    const auto r = run_program({"/usr/bin/python3", script().string(), db.string(), "py", "sum", "product", "noise", "x"},
                               logs.path());
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out,
              "12 jobs: 12 done\n"
              "columns: key, status, model, attempts, host, rank, started, finished, wall_seconds, error, "
              "payload_path, payload_sha256, length, seed, x, y, group.label, tag.purpose, tag.big, noise, product, sum\n"
              "mean sum: 3.250000\n"      // x + y over {0.5, 2} x {1, 3}
              "mean product: 2.500000\n"  // x * y
              "mean noise: " + std::string(mean_noise) + "\n"
              "mean x: 1.250000\n"
              "payload of job 0: key " + jobs[0].key.substr(0, 12) + ", model testing.arith\n"
              "  metrics: noise=" + noise0 + ", product=0.500000, sum=1.500000\n"
              "  datasets: seed int64 (), series float64 (4,)\n"
              "  all jobs' series: (12, 4)\n"
              "  same metrics as the index: True\n");

    // Failed jobs have no metrics (NaN); a metric named like a parameter gets the suffix _metric.
    const auto f = run_program({"/usr/bin/python3", script().string(), db.string(), "f", "value_metric"}, logs.path());
    ASSERT_EQ(f.exit_code, 0) << f.err;
    EXPECT_EQ(f.out,
              "4 jobs: 2 done, 2 failed\n"
              "columns: key, status, model, attempts, host, rank, started, finished, wall_seconds, error, "
              "payload_path, payload_sha256, mode, value, value_metric\n"
              "mean value_metric: 1.500000\n"
              "payload of job 0: key " + expand(load_sweep(fails), builtin_models())[0].key.substr(0, 12) +
                  ", model testing.fail\n"
              "  metrics: value=1.000000\n"
              "  datasets: \n"
              "  same metrics as the index: True\n");
}

}  // namespace
}  // namespace sr
