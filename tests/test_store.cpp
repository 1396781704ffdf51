// The SQLite index: schema version and migration, registering and retiring jobs, crash recovery of
// `running` jobs, batched commits, metrics, the results query (bound parameters only) and formats;
// the job source and the coordinator loop against the index with a scripted worker pool.
#include "core/sha256.hpp"
#include "db/query.hpp"
#include "db/store.hpp"
#include "scheduler/coordinator.hpp"
#include "scheduler/run.hpp"
#include "test_util.hpp"

#include <algorithm>
#include <limits>
#include <gtest/gtest.h>

namespace sr {
namespace {

using test::TempDir;

PackedJob make_job(const std::string& key, std::int64_t index, const Params& params, const Json& tags = Json::object()) {
    PackedJob j;
    j.sweep = "s";
    j.index = index;
    j.key = key;
    j.model = "testing.arith";
    j.model_version = 1;
    j.params = params.dump();
    j.tags = tags.dump();
    return j;
}

JobOutcome make_outcome(const std::string& key, Outcome outcome, std::map<std::string, double> metrics = {},
                        std::string error = {}) {
    JobOutcome o;
    o.key = key;
    o.outcome = outcome;
    o.metrics = std::move(metrics);
    o.error = std::move(error);
    o.host = "hostA";
    o.rank = 3;
    o.started = 1000.0;
    o.finished = 1002.5;
    o.wall_seconds = 2.5;
    if (outcome == Outcome::done) {
        o.payload_path = "/results/s/" + key + ".h5";
        o.payload_sha256 = std::string(64, 'f');
    }
    return o;
}

std::int64_t scalar(Store& store, const std::string& sql) {
    auto st = store.connection().prepare(sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.get_int(0);
}

std::string text(Store& store, const std::string& sql) {
    auto st = store.connection().prepare(sql);
    EXPECT_TRUE(st.step()) << sql;
    return st.is_null(0) ? "NULL" : st.get_text(0);
}

TEST(Store, CreatesTheVersionedSchemaInWalMode) {
    TempDir dir;
    const std::string path = (dir / "index.db").string();
    {
        Store store(path);
        EXPECT_EQ(Store::schema_version, 4);
        EXPECT_EQ(scalar(store, "PRAGMA user_version"), Store::schema_version);
        EXPECT_EQ(text(store, "PRAGMA journal_mode"), "wal");
        EXPECT_EQ(scalar(store, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                                "('sweeps', 'jobs', 'metrics', 'submissions', 'sweep_versions', 'runs')"),
                  6);
        store.register_sweep("s", "/x/s.yaml", "name: s\n");
    }
    // Reopening migrates nothing and keeps the data.
    Store again(path);
    EXPECT_EQ(scalar(again, "PRAGMA user_version"), Store::schema_version);
    EXPECT_EQ(again.find_sweep("s"), std::optional<std::int64_t>(1));
    EXPECT_EQ(again.find_sweep("nope"), std::nullopt);
}

TEST(Store, MigratesAnEmptyDatabaseAndRefusesANewerSchema) {
    TempDir dir;
    const std::string path = (dir / "old.db").string();
    {
        sql::Connection raw(path, true);
        raw.exec("CREATE TABLE unrelated(x)");  // version 0: nothing of ours yet
    }
    {
        Store store(path);
        EXPECT_EQ(scalar(store, "PRAGMA user_version"), Store::schema_version);
        EXPECT_EQ(scalar(store, "SELECT count(*) FROM jobs"), 0);
    }
    const std::string newer = (dir / "newer.db").string();
    {
        sql::Connection raw(newer, true);
        raw.exec("PRAGMA user_version=7");
    }
    try {
        Store store(newer);
        FAIL() << "opened a newer schema";
    } catch (const sql::Error& e) {
        EXPECT_EQ(std::string(e.what()), newer + ": database schema version 7 is newer than this binary's " +
                                             std::to_string(Store::schema_version));
    }
}

TEST(Store, RegisterSweepUpdatesSpecAndKeepsId) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/a/s.yaml", "v1");
    const auto other = store.register_sweep("t", "/a/t.yaml", "t");
    EXPECT_NE(id, other);
    EXPECT_EQ(store.register_sweep("s", "/b/s.yaml", "v2"), id);
    EXPECT_EQ(text(store, "SELECT spec_text FROM sweeps WHERE name = 's'"), "v2");
    EXPECT_EQ(text(store, "SELECT spec_path FROM sweeps WHERE name = 's'"), "/b/s.yaml");
    EXPECT_EQ(text(store, "SELECT spec_hash FROM sweeps WHERE name = 's'"), sha256_hex("v2"));
}

// Every version of a sweep's text is kept with its git state; running a version again only moves
// its last time. An index of schema 2 starts with its sweeps' current texts.
TEST(Store, KeepsEveryVersionOfTheSweepTextWithItsGitState) {
    TempDir dir;
    const std::string path = (dir / "i.db").string();
    {
        Store store(path);
        const auto id = store.register_sweep("s", "/a/s.yaml", "v1", {std::string(40, 'a'), false});
        store.register_sweep("s", "/a/s.yaml", "v1", {std::string(40, 'a'), false});
        store.register_sweep("s", "/a/s.yaml", "v2", {std::string(40, 'a'), true});
        store.register_sweep("s", "/a/s.yaml", "v2", {});  // outside git: another version
        EXPECT_EQ(scalar(store, "SELECT count(*) FROM sweep_versions WHERE sweep_id = " + std::to_string(id)), 3);
        EXPECT_EQ(text(store, "SELECT group_concat(spec_text || ':' || coalesce(git_dirty, 'NULL'), ',') FROM "
                              "(SELECT * FROM sweep_versions ORDER BY id)"),
                  "v1:0,v2:1,v2:NULL");
        EXPECT_EQ(text(store, "SELECT git_commit FROM sweep_versions WHERE spec_text = 'v1'"), std::string(40, 'a'));
        EXPECT_EQ(scalar(store, "SELECT count(*) FROM sweep_versions WHERE spec_text = 'v1' AND "
                                "last_registered >= first_registered AND spec_hash = '" + sha256_hex("v1") + "'"),
                  1);
        EXPECT_EQ(text(store, "SELECT spec_text FROM sweeps"), "v2");
    }
    {  // back to schema 2: no versions table
        Store store(path);
        store.connection().exec("DROP TABLE sweep_versions; PRAGMA user_version=2");
    }
    Store migrated(path);
    EXPECT_EQ(scalar(migrated, "PRAGMA user_version"), Store::schema_version);
    EXPECT_EQ(text(migrated, "SELECT spec_text || ':' || spec_path || ':' || coalesce(git_commit, 'NULL') FROM sweep_versions"),
              "v2:/a/s.yaml:NULL");
}

TEST(Store, EditedSweepAddsNewJobsAndRetiresRemovedOnes) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/s.yaml", "1");
    const std::vector<PackedJob> first = {make_job("ka", 0, {{"x", 1.0}}), make_job("kb", 1, {{"x", 2.0}}),
                                    make_job("kc", 2, {{"x", 3.0}})};
    EXPECT_EQ(store.register_jobs(id, first), 3);
    EXPECT_EQ(store.register_jobs(id, first), 0);  // same spec again: nothing new
    store.commit(id, {{"ka", "h", 0, 1.0}}, {make_outcome("ka", Outcome::done, {{"m", 1.5}})});

    // Edited: ka removed, kd added, kb moved to index 0 with a new tag.
    const std::vector<PackedJob> edited = {make_job("kb", 0, {{"x", 2.0}}, {{"t", "new"}}),
                                     make_job("kc", 1, {{"x", 3.0}}), make_job("kd", 2, {{"x", 4.0}})};
    EXPECT_EQ(store.register_jobs(id, edited), 1);
    EXPECT_EQ(scalar(store, "SELECT count(*) FROM jobs"), 4);
    EXPECT_EQ(scalar(store, "SELECT retired FROM jobs WHERE key = 'ka'"), 1);
    EXPECT_EQ(scalar(store, "SELECT retired FROM jobs WHERE key = 'kd'"), 0);
    EXPECT_EQ(text(store, "SELECT status FROM jobs WHERE key = 'ka'"), "done");  // kept, with results
    EXPECT_EQ(scalar(store, "SELECT idx FROM jobs WHERE key = 'kb'"), 0);
    EXPECT_EQ(text(store, "SELECT tags FROM jobs WHERE key = 'kb'"), R"({"t":"new"})");
    const auto counts = store.counts();
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].name, "s");
    EXPECT_EQ(counts[0].pending, 3);
    EXPECT_EQ(counts[0].done, 0);
    EXPECT_EQ(counts[0].retired, 1);
    // Retired jobs are not results.
    const ResultsTable table = query_results(store, "s", {}, {"key"});
    ASSERT_EQ(table.rows.size(), 3u);
    EXPECT_EQ(table.rows[0][0], "kb");

    // Back in the spec: not retired any more, and its result is still there.
    EXPECT_EQ(store.register_jobs(id, first), 0);
    EXPECT_EQ(scalar(store, "SELECT retired FROM jobs WHERE key = 'ka'"), 0);
    EXPECT_EQ(scalar(store, "SELECT retired FROM jobs WHERE key = 'kd'"), 1);
    EXPECT_EQ(store.job_states(id).at("ka").status, JobStatus::done);
}

TEST(Store, SameKeyInTwoSweepsIsTwoJobs) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto a = store.register_sweep("a", "/a.yaml", "a");
    const auto b = store.register_sweep("b", "/b.yaml", "b");
    store.register_jobs(a, {make_job("k", 0, {{"x", 1.0}})});
    store.register_jobs(b, {make_job("k", 0, {{"x", 1.0}})});
    store.commit(a, {}, {make_outcome("k", Outcome::done)});
    EXPECT_EQ(store.job_states(a).at("k").status, JobStatus::done);
    EXPECT_EQ(store.job_states(b).at("k").status, JobStatus::pending);
}

TEST(Store, StartsAndOutcomesCommitTogether) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/s.yaml", "1");
    store.register_jobs(id, {make_job("ka", 0, {{"x", 1.0}}), make_job("kb", 1, {{"x", 2.0}}),
                             make_job("kc", 2, {{"x", 3.0}}), make_job("kd", 3, {{"x", 4.0}})});
    // One batch: three start, two of them finish (done, failed), one is still running.
    store.commit(id, {{"ka", "hostA", 3, 999.0}, {"kb", "hostA", 3, 999.0}, {"kc", "hostB", 1, 999.5}},
                 {make_outcome("ka", Outcome::done, {{"sum", 3.0}, {"product", 2.0}}),
                  make_outcome("kb", Outcome::failed, {}, "it broke\nsecond line"),
                  make_outcome("not_a_job", Outcome::done)});
    auto states = store.job_states(id);
    EXPECT_EQ(states.at("ka").status, JobStatus::done);
    EXPECT_EQ(states.at("ka").attempts, 1);
    EXPECT_EQ(states.at("kb").status, JobStatus::failed);
    EXPECT_EQ(states.at("kb").attempts, 1);
    EXPECT_EQ(states.at("kc").status, JobStatus::running);
    EXPECT_EQ(states.at("kd").status, JobStatus::pending);
    EXPECT_EQ(states.at("kd").attempts, 0);
    EXPECT_EQ(states.count("not_a_job"), 0u);

    EXPECT_EQ(text(store, "SELECT host || '/' || rank || '/' || started || '/' || finished || '/' || "
                          "wall_seconds FROM jobs WHERE key = 'ka'"),
              "hostA/3/1000.0/1002.5/2.5");
    // Stored relative to the index's folder, resolved back to where the worker wrote it.
    const std::string stored = text(store, "SELECT payload_path FROM jobs WHERE key = 'ka'");
    EXPECT_NE(stored.front(), '/');
    EXPECT_EQ(store.resolve_path(stored), "/results/s/ka.h5");
    EXPECT_EQ(text(store, "SELECT payload_sha256 FROM jobs WHERE key = 'ka'"), std::string(64, 'f'));
    EXPECT_EQ(text(store, "SELECT error FROM jobs WHERE key = 'ka'"), "NULL");
    EXPECT_EQ(text(store, "SELECT binary_version FROM jobs WHERE key = 'ka'"), build_info().version);
    EXPECT_EQ(text(store, "SELECT error FROM jobs WHERE key = 'kb'"), "it broke\nsecond line");
    EXPECT_EQ(text(store, "SELECT payload_path FROM jobs WHERE key = 'kb'"), "NULL");
    EXPECT_EQ(text(store, "SELECT host FROM jobs WHERE key = 'kc'"), "hostB");
    EXPECT_EQ(scalar(store, "SELECT count(*) FROM metrics"), 2);
    EXPECT_EQ(text(store, "SELECT group_concat(name || '=' || value, ',') FROM "
                          "(SELECT name, value FROM metrics ORDER BY name)"),
              "product=2.0,sum=3.0");

    // status: counts and the first line of each failure
    const auto counts = store.counts();
    ASSERT_EQ(counts.size(), 1u);
    EXPECT_EQ(counts[0].done, 1);
    EXPECT_EQ(counts[0].failed, 1);
    EXPECT_EQ(counts[0].running, 1);
    EXPECT_EQ(counts[0].pending, 1);
    ASSERT_EQ(counts[0].failures.size(), 1u);
    EXPECT_EQ(counts[0].failures[0], std::make_pair(std::string("kb"), std::string("it broke")));

    // A retry that succeeds: attempts 2, error cleared, metrics replaced.
    store.commit(id, {{"kb", "hostA", 0, 1100.0}}, {make_outcome("kb", Outcome::done, {{"sum", 7.0}})});
    states = store.job_states(id);
    EXPECT_EQ(states.at("kb").status, JobStatus::done);
    EXPECT_EQ(states.at("kb").attempts, 2);
    EXPECT_EQ(text(store, "SELECT error FROM jobs WHERE key = 'kb'"), "NULL");
    EXPECT_EQ(scalar(store, "SELECT count(*) FROM metrics m JOIN jobs j ON j.id = m.job_id WHERE j.key = 'kb'"), 1);

    // Interrupted by a stop request: back to pending, and the attempt does not count.
    store.commit(id, {}, {make_outcome("kc", Outcome::interrupted, {}, "stopped on request")});
    states = store.job_states(id);
    EXPECT_EQ(states.at("kc").status, JobStatus::pending);
    EXPECT_EQ(states.at("kc").attempts, 0);
}

TEST(Store, OutcomesCarryingTheRowIdUpdateThatRow) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/s.yaml", "1");
    store.register_jobs(id, {make_job("ka", 0, {{"x", 1.0}}), make_job("kb", 1, {{"x", 2.0}})});
    const std::int64_t row = store.job_states(id).at("kb").id;
    ASSERT_NE(row, 0);
    // Identified by the row alone (the key is not looked at when the row is known).
    JobStart start{"", "hostA", 2, 50.0, row};
    store.commit(id, {start}, {});
    EXPECT_EQ(store.job_states(id).at("kb").status, JobStatus::running);
    JobOutcome done = make_outcome("kb", Outcome::done, {{"sum", 3.0}});
    done.job_id = row;
    store.commit(id, {}, {done});
    const auto states = store.job_states(id);
    EXPECT_EQ(states.at("kb").status, JobStatus::done);
    EXPECT_EQ(states.at("kb").attempts, 1);
    EXPECT_EQ(states.at("ka").status, JobStatus::pending);
    EXPECT_EQ(scalar(store, "SELECT count(*) FROM metrics WHERE job_id = " + std::to_string(row)), 1);
}

TEST(Store, ResetRunningAfterACrash) {
    TempDir dir;
    const std::string path = (dir / "i.db").string();
    std::int64_t id = 0;
    {
        Store store(path);
        id = store.register_sweep("s", "/s.yaml", "1");
        store.register_jobs(id, {make_job("ka", 0, {}), make_job("kb", 1, {}), make_job("kc", 2, {})});
        store.commit(id, {{"ka", "h", 0, 1.0}, {"kb", "h", 0, 1.0}}, {make_outcome("kb", Outcome::done)});
        // the process dies here with ka running
    }
    Store store(path);
    EXPECT_EQ(store.job_states(id).at("ka").status, JobStatus::running);
    EXPECT_EQ(store.reset_running(id), 1);
    const auto states = store.job_states(id);
    EXPECT_EQ(states.at("ka").status, JobStatus::pending);
    EXPECT_EQ(states.at("ka").attempts, 1);  // the crashed attempt is remembered
    EXPECT_EQ(states.at("kb").status, JobStatus::done);
    EXPECT_EQ(states.at("kc").status, JobStatus::pending);
    EXPECT_EQ(store.reset_running(id), 0);
}

// --- results query ----------------------------------------------------------------------------

class Results : public ::testing::Test {
protected:
    void SetUp() override {
        store = std::make_unique<Store>((dir / "i.db").string());
        id = store->register_sweep("s", "/s.yaml", "1");
        std::vector<PackedJob> jobs;
        for (int i = 0; i < 6; ++i) {
            jobs.push_back(make_job("key" + std::to_string(i), i,
                                    {{"x", 0.5 * i}, {"y", 1.0}, {"group", {{"label", i < 3 ? "lo" : "hi"}}},
                                     {"flag", i % 2 == 0}},
                                    {{"kind", i % 3 == 0 ? "a" : "b"}}));
        }
        store->register_jobs(id, jobs);
        std::vector<JobOutcome> outcomes;
        for (int i = 0; i < 5; ++i) {  // key5 stays pending
            outcomes.push_back(i == 4 ? make_outcome("key4", Outcome::failed, {}, "boom")
                                      : make_outcome("key" + std::to_string(i), Outcome::done,
                                                     {{"sum", 0.5 * i + 1}, {"score", 10.0 * i}}));
        }
        store->commit(id, {}, outcomes);
    }

    std::vector<std::string> keys(const std::string& where) {
        std::vector<std::string> out;
        for (const auto& row : query_results(*store, "s", where, {"key"}).rows) {
            out.push_back(row[0].get<std::string>());
        }
        return out;
    }

    TempDir dir;
    std::unique_ptr<Store> store;
    std::int64_t id = 0;
};

using Keys = std::vector<std::string>;

TEST_F(Results, DefaultColumnsAreVaryingParamsTagsAndMetrics) {
    const ResultsTable t = query_results(*store, "s", {}, {});
    EXPECT_EQ(t.columns, (std::vector<std::string>{"index", "key", "status", "flag", "group.label", "x",
                                                   "tag.kind", "score", "sum"}));
    ASSERT_EQ(t.rows.size(), 6u);
    EXPECT_EQ(Json(t.rows[1]).dump(), R"([1,"key1","done",false,"lo",0.5,"b",10.0,1.5])");
    EXPECT_EQ(Json(t.rows[4]).dump(), R"([4,"key4","failed",true,"hi",2.0,"b",null,null])");
    EXPECT_EQ(Json(t.rows[5]).dump(), R"([5,"key5","pending",false,"hi",2.5,"b",null,null])");
    // A filter does not change which columns there are.
    const ResultsTable f = query_results(*store, "s", "group.label=hi", {});
    EXPECT_EQ(f.columns, t.columns);
    EXPECT_EQ(f.rows.size(), 3u);
    // Without failed ones
    EXPECT_EQ(query_results(*store, "s", {}, {"key"}, /*include_failed=*/false).rows.size(), 4u);
}

TEST_F(Results, WhereOnParamsMetricsTagsAndJobFields) {
    EXPECT_EQ(keys("x>=1.5"), (Keys{"key3", "key4", "key5"}));
    EXPECT_EQ(keys("x > 1.5"), (Keys{"key4", "key5"}));
    EXPECT_EQ(keys("x=1"), (Keys{"key2"}));
    EXPECT_EQ(keys("x == 1.0"), (Keys{"key2"}));
    EXPECT_EQ(keys("x!=1"), (Keys{"key0", "key1", "key3", "key4", "key5"}));
    EXPECT_EQ(keys("group.label=hi"), (Keys{"key3", "key4", "key5"}));
    EXPECT_EQ(keys("group.label='lo'"), (Keys{"key0", "key1", "key2"}));
    EXPECT_EQ(keys("flag=true"), (Keys{"key0", "key2", "key4"}));
    EXPECT_EQ(keys("score>=20"), (Keys{"key2", "key3"}));
    EXPECT_EQ(keys("sum<2"), (Keys{"key0", "key1"}));
    EXPECT_EQ(keys("tag.kind=a"), (Keys{"key0", "key3"}));
    EXPECT_EQ(keys("index<2"), (Keys{"key0", "key1"}));
    EXPECT_EQ(keys("index>=4"), (Keys{"key4", "key5"}));
    EXPECT_EQ(keys("status=failed"), (Keys{"key4"}));
    EXPECT_EQ(keys("status=pending"), (Keys{"key5"}));
    EXPECT_EQ(keys("x>=0.5 and tag.kind=b and score<30"), (Keys{"key1", "key2"}));
    EXPECT_EQ(keys("x>=0.5 AND index<=1"), (Keys{"key1"}));
    EXPECT_EQ(keys(""), (Keys{"key0", "key1", "key2", "key3", "key4", "key5"}));
}

// `a=0 or a=0.03` once returned an empty table (everything after the first operator was the value).
TEST_F(Results, OrNotParenthesesAndInAreRealExpressions) {
    const auto either = keys("x=0 or x=1.5");
    EXPECT_EQ(either, (Keys{"key0", "key3"}));
    // or equals the union of the two queries
    Keys a = keys("x=0"), b = keys("x=1.5"), both;
    std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(both));
    EXPECT_EQ(either, both);
    EXPECT_EQ(keys("x in (0, 1.5, 2.5)"), (Keys{"key0", "key3", "key5"}));
    EXPECT_EQ(keys("status in (done, pending) and not x < 1"), (Keys{"key2", "key3", "key5"}));
    EXPECT_EQ(keys("(tag.kind='a' or score>=20) and group.label=\"hi\""), (Keys{"key3"}));
    EXPECT_EQ(keys("sum is null"), (Keys{"key4", "key5"}));
    EXPECT_EQ(keys("x between 0.5 and 1 and index != 2"), (Keys{"key1"}));
    EXPECT_EQ(keys("score / 10 = index and score > 0"), (Keys{"key1", "key2", "key3"}));
    EXPECT_EQ(keys("attempts = 0 and status = failed"), (Keys{"key4"}));
    EXPECT_EQ(keys("sum < inf and sum > -inf"), (Keys{"key0", "key1", "key2", "key3"}));
}

TEST_F(Results, HostileWhereTextIsAnErrorAndChangesNothing) {
    auto where_error = [&](const std::string& where) {
        try {
            query_results(*store, "s", where, {});
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    const auto before = scalar(*store, "SELECT count(*) FROM jobs");
    EXPECT_EQ(where_error("x=1; DROP TABLE jobs"), "--where: unexpected ';' at position 4");
    EXPECT_EQ(where_error("group.label=lo' OR '1'='1"),
              "--where: near \"' OR '\": syntax error in 'group.label=lo' OR '1'='1'");
    EXPECT_EQ(where_error("tag.kind=a\"); DELETE FROM metrics; --"),
              "--where: unterminated text starting at \"); DELETE FROM metrics; --");
    EXPECT_EQ(where_error("x = (SELECT count(*) FROM sqlite_master)"),
              "--where: unknown column 'SELECT'");
    EXPECT_EQ(where_error("x = load_extension('evil')"),
              "--where: near \"(\": syntax error in 'x = load_extension('evil')'");
    EXPECT_EQ(scalar(*store, "SELECT count(*) FROM jobs"), before);
    EXPECT_EQ(scalar(*store, "SELECT count(*) FROM metrics"), 8);
    // Text that looks like SQL is a value, bound: it matches nothing.
    EXPECT_EQ(keys("group.label = 'lo'' OR ''1''=''1'"), Keys{});
    EXPECT_EQ(keys("group.label=lo"), (Keys{"key0", "key1", "key2"}));
}

TEST_F(Results, UnknownNamesAndBadExpressionsAreClearErrors) {
    auto where_error = [&](const std::string& where) {
        try {
            query_results(*store, "s", where, {});
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("(no error)");
    };
    EXPECT_EQ(where_error("scroe>1"), "--where: unknown column 'scroe'");
    EXPECT_EQ(where_error("tag.nope=a"), "--where: unknown column 'tag.nope'");
    EXPECT_EQ(where_error("x >"), "--where: incomplete input in 'x >'");
    EXPECT_EQ(where_error("x = 1 and"), "--where: incomplete input in 'x = 1 and'");
    EXPECT_EQ(where_error("(x = 1"), "--where: '(' without ')'");
    EXPECT_EQ(where_error("x = 1) or (1 = 1"), "--where: ')' without '(' at position 6");
    EXPECT_EQ(where_error("x = = 1"), "--where: near \"=\": syntax error in 'x = = 1'");
    EXPECT_EQ(where_error("x!3"), "--where: unexpected '!' at position 2");
    EXPECT_EQ(where_error("x = 1e"), "--where: not a number: 1e");
    try {
        query_results(*store, "s", "", {"key", "nope; DROP TABLE jobs"});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "--columns: unknown column 'nope; DROP TABLE jobs'");
    }
    try {
        query_results(*store, "missing", "", {});
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "no sweep named 'missing' in " + (dir / "i.db").string());
    }
}

TEST_F(Results, SortLimitAndGroupBy) {
    ResultsQuery q;
    q.columns = {"key"};
    q.sort = {"-score", "index"};
    q.limit = 3;
    EXPECT_EQ(Json(query_results(*store, q).rows).dump(), R"([["key3"],["key2"],["key1"]])");
    q.sort = {"tag.kind", "-x"};
    q.limit.reset();
    EXPECT_EQ(Json(query_results(*store, q).rows).dump(),
              R"([["key3"],["key0"],["key5"],["key4"],["key2"],["key1"]])");
    ResultsQuery g;
    g.group_by = {"group.label"};
    g.aggregate_functions = {"mean", "std", "median", "count"};
    g.aggregate_columns = {"score"};
    const ResultsTable t = query_results(*store, g);
    EXPECT_EQ(t.columns, (std::vector<std::string>{"group.label", "count", "score_mean", "score_std", "score_median",
                                                   "score_count"}));
    // lo: scores 0, 10, 20; hi: 30 (key4 failed, key5 pending: no score)
    EXPECT_EQ(Json(t.rows).dump(), R"([["lo",3,10.0,10.0,10.0,3],["hi",3,30.0,null,30.0,1]])");
    g.sort = {"-score_mean"};
    EXPECT_EQ(query_results(*store, g).rows.front().front(), "hi");
    g.aggregate_functions = {"average"};
    EXPECT_THROW(query_results(*store, g), std::invalid_argument);
}

TEST_F(Results, OnlySweepIsTheDefault) {
    EXPECT_EQ(resolve_sweep(*store, ""), "s");
    store->register_sweep("t", "/t.yaml", "2");
    try {
        resolve_sweep(*store, "");
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "--sweep: " + (dir / "i.db").string() + " holds 2 sweeps (s, t): name one");
    }
    const auto job = find_job_at(*store, "s", 2);
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->key, "key2");
}

TEST_F(Results, ExplicitColumnsAndJobRecord) {
    const ResultsTable t = query_results(*store, "s", "index=4",
                                         {"key", "y", "group.label", "error", "attempts", "tag.kind", "sum"});
    ASSERT_EQ(t.rows.size(), 1u);
    EXPECT_EQ(Json(t.rows[0]).dump(), R"(["key4",1.0,"hi","boom",0,"b",null])");

    const auto job = find_job(*store, "key1");
    ASSERT_TRUE(job.has_value());
    EXPECT_EQ(job->sweep, "s");
    EXPECT_EQ(job->index, 1);
    EXPECT_EQ(job->status, "done");
    EXPECT_EQ(job->host, "hostA");
    EXPECT_EQ(job->rank, 3);
    EXPECT_EQ(job->params["group"]["label"], "lo");
    EXPECT_EQ(job->metrics, (std::map<std::string, double>{{"score", 10.0}, {"sum", 1.5}}));
    EXPECT_FALSE(find_job(*store, "zzz").has_value());
    try {
        find_job(*store, "key");
        FAIL() << "ambiguous prefix accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "key prefix 'key' is ambiguous");
    }
}

TEST(Formats, CsvQuotesOnlyWhatNeedsIt) {
    ResultsTable t;
    t.columns = {"index", "name", "value", "flag", "missing", "a,b"};
    t.rows.push_back({0, "plain", 1.5, true, nullptr, "x"});
    t.rows.push_back({1, "with,comma", -2.0, false, nullptr, "say \"hi\""});
    t.rows.push_back({2, "two\nlines", 1e-7, Json(3), nullptr, ""});
    EXPECT_EQ(format_csv(t),
              "index,name,value,flag,missing,\"a,b\"\n"
              "0,plain,1.5,true,,x\n"
              "1,\"with,comma\",-2.0,false,,\"say \"\"hi\"\"\"\n"
              "2,\"two\nlines\",1e-07,3,,\n");
}

TEST(Formats, JsonAndTable) {
    ResultsTable t;
    t.columns = {"key", "x", "m"};
    t.rows.push_back({std::string(64, 'a'), 0.25, nullptr});
    t.rows.push_back({std::string(64, 'b'), 1234567.891, 2});
    const double inf = std::numeric_limits<double>::infinity();
    t.rows.push_back({"c", inf, -inf});
    t.rows.push_back({"\u00e9t\u00e9", std::numeric_limits<double>::quiet_NaN(), 1});
    // JSON has no infinity: the strings "inf", "-inf", "nan", not null (a missing value)
    EXPECT_EQ(Json::parse(format_json(t)),
              Json::parse(R"([{"key":")" + std::string(64, 'a') + R"(","x":0.25,"m":null},)"
                          R"({"key":")" + std::string(64, 'b') + R"(","x":1234567.891,"m":2},)"
                          R"({"key":"c","x":"inf","m":"-inf"},{"key":"\u00e9t\u00e9","x":"nan","m":1}])"));
    // keys are shortened to 12 characters, reals to 6 significant digits, nulls shown as '-';
    // columns aligned by characters, not bytes
    EXPECT_EQ(format_table(t),
              "key           x            m\n"
              "aaaaaaaaaaaa  0.25         -\n"
              "bbbbbbbbbbbb  1.23457e+06  2\n"
              "c             inf          -inf\n"
              "\u00e9t\u00e9           nan          1\n");
    EXPECT_EQ(format_csv(t).substr(format_csv(t).find("\nc,")), "\nc,inf,-inf\n\u00e9t\u00e9,nan,1\n");
    // wide characters take two columns each
    t.rows = {{"\u5b9f\u9a13", 1.0, 2}, {"ab", 0.5, 3}};
    EXPECT_EQ(format_table(t),
              "key   x    m\n"
              "\u5b9f\u9a13  1    2\n"
              "ab    0.5  3\n");
}

TEST(Formats, Durations) {
    EXPECT_EQ(duration_text(44.6), "45s");
    EXPECT_EQ(duration_text(200), "3m20s");
    EXPECT_EQ(duration_text(65), "1m05s");
    EXPECT_EQ(duration_text(7500), "2h05m");
    EXPECT_EQ(duration_text(-1), "?");
    EXPECT_EQ(duration_text(std::numeric_limits<double>::quiet_NaN()), "?");
}

}  // namespace
}  // namespace sr

// --- job source and coordinator (with a scripted pool instead of threads) -----------------------

namespace sr {
namespace {

TEST(StaticJobSource, LongestFirstAndRetriesUpToTheLimit) {
    std::vector<PackedJob> jobs = {make_job("a", 0, {}), make_job("b", 1, {}), make_job("c", 2, {}), make_job("d", 3, {})};
    jobs[0].cost = 1;
    jobs[1].cost = 5;
    jobs[2].cost = 2;
    jobs[3].cost = 5;
    StaticJobSource source(jobs, /*retries=*/1);
    std::vector<std::string> order;
    while (auto j = source.next()) order.push_back(j->key);
    EXPECT_EQ(order, (std::vector<std::string>{"b", "d", "c", "a"}));  // stable among equal costs
    EXPECT_TRUE(source.exhausted());
    source.on_outcome(jobs[0], Outcome::failed);  // attempt 1 of 2: again
    source.on_outcome(jobs[1], Outcome::done);
    source.on_outcome(jobs[2], Outcome::interrupted);  // stopped: not retried in this run
    EXPECT_FALSE(source.exhausted());
    auto again = source.next();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->key, "a");
    EXPECT_EQ(again->attempts, 1);
    source.on_outcome(*again, Outcome::failed);  // attempt 2 of 2: done trying
    EXPECT_FALSE(source.next().has_value());
    EXPECT_TRUE(source.exhausted());
}

TEST(StaticJobSource, ManyJobsComeOutInStableCostOrder) {
    std::vector<PackedJob> jobs;
    for (int i = 0; i < 1000; ++i) {
        jobs.push_back(make_job("k" + std::to_string(i), i, {}));
        jobs.back().cost = (i * 7919) % 13;  // many equal costs, scattered
    }
    std::vector<PackedJob> expected = jobs;
    std::stable_sort(expected.begin(), expected.end(),
                     [](const PackedJob& a, const PackedJob& b) { return a.cost > b.cost; });
    StaticJobSource source(jobs, 0);
    for (const PackedJob& e : expected) {
        const auto j = source.next();
        ASSERT_TRUE(j.has_value());
        EXPECT_EQ(j->key, e.key);
        EXPECT_EQ(j->params, e.params);
    }
    EXPECT_FALSE(source.next().has_value());
}

// Runs every submitted job at the next poll: it starts and finishes (failing odd indices), or
// comes back unstarted after a stop request.
class ScriptedPool final : public WorkerPool {
public:
    std::size_t workers() const override { return 2; }
    std::size_t free_slots() const override { return stopped_ ? 0 : 4 - queue_.size(); }
    void submit(const PackedJob& job) override { queue_.push_back(job); }
    PoolEvents poll(std::chrono::milliseconds) override {
        PoolEvents events;
        for (PackedJob& job : queue_) {
            if (stopped_) {
                events.returned.push_back(job.key);
                continue;
            }
            events.started.push_back({job.key, "pool", 1, 10.0});
            JobOutcome o;
            o.key = job.key;
            o.outcome = job.index % 2 ? Outcome::failed : Outcome::done;
            if (job.index % 2) o.error = "odd";
            else o.metrics["twice"] = 2.0 * static_cast<double>(job.index);
            events.finished.push_back(std::move(o));
            ++ran;
        }
        queue_.clear();
        return events;
    }
    void request_stop() override { stopped_ = true; }
    int ran = 0;

private:
    std::vector<PackedJob> queue_;
    bool stopped_ = false;
};

TEST(Coordinator, RecordsEveryOutcomeAndRetries) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/s.yaml", "1");
    std::vector<PackedJob> jobs;
    for (int i = 0; i < 10; ++i) jobs.push_back(make_job("k" + std::to_string(i), i, {{"i", i}}));
    store.register_jobs(id, jobs);
    StaticJobSource source(jobs, /*retries=*/2);
    ScriptedPool pool;
    std::vector<Progress> reports;
    CoordinatorOptions options;
    options.on_progress = [&](const Progress& p, bool final) {
        if (final) reports.push_back(p);
    };
    options.commit_batch = 3;
    const RunSummary summary = coordinate(source, jobs.size(), pool, store, id, options);
    EXPECT_EQ(summary.done, 5u);
    EXPECT_EQ(summary.failed, 15u);  // 5 odd jobs x 3 attempts
    EXPECT_FALSE(summary.stopped);
    EXPECT_EQ(pool.ran, 20);
    ASSERT_EQ(reports.size(), 1u);
    EXPECT_EQ(reports[0].done, 5u);
    EXPECT_EQ(reports[0].failed, 5u);  // progress counts jobs, not attempts
    const auto states = store.job_states(id);
    for (int i = 0; i < 10; ++i) {
        const JobState& s = states.at("k" + std::to_string(i));
        EXPECT_EQ(s.status, i % 2 ? JobStatus::failed : JobStatus::done) << i;
        EXPECT_EQ(s.attempts, i % 2 ? 3 : 1) << i;
    }
    const ResultsTable t = query_results(store, "s", "status=done", {"i", "twice"});
    ASSERT_EQ(t.rows.size(), 5u);
    EXPECT_EQ(Json(t.rows[4]).dump(), "[8,16.0]");
}

TEST(Coordinator, StopRequestLeavesUnstartedJobsPending) {
    TempDir dir;
    Store store((dir / "i.db").string());
    const auto id = store.register_sweep("s", "/s.yaml", "1");
    std::vector<PackedJob> jobs;
    for (int i = 0; i < 10; ++i) jobs.push_back(make_job("k" + std::to_string(i), 2 * i, {{"i", i}}));
    store.register_jobs(id, jobs);
    StaticJobSource source(jobs, 0);
    ScriptedPool pool;
    std::atomic<bool> stop{false};
    CoordinatorOptions options;
    options.stop_requested = &stop;
    int polls = 0;
    options.on_progress = [&](const Progress&, bool) {
        if (++polls == 1) stop = true;  // after the first batch of 4
    };
    const RunSummary summary = coordinate(source, jobs.size(), pool, store, id, options);
    EXPECT_TRUE(summary.stopped);
    EXPECT_EQ(summary.done, 4u);
    EXPECT_EQ(pool.ran, 4);
    std::size_t done = 0, pending = 0;
    for (const auto& [key, state] : store.job_states(id)) {
        if (state.status == JobStatus::done) ++done;
        if (state.status == JobStatus::pending) {
            ++pending;
            EXPECT_EQ(state.attempts, 0);
        }
    }
    EXPECT_EQ(done, 4u);
    EXPECT_EQ(pending, 6u);
}

}  // namespace
}  // namespace sr
