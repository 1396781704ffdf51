// Sweep files: every malformed file under tests/data/bad_sweeps gives its exact one-line message
// (library and CLI, nothing written), keys are stable under reordering, and expansion produces the
// expected values (grid, zip, jobs, blocks, derive, tags, base files).
#include "core/sha256.hpp"
#include "scheduler/expansion.hpp"
#include "scheduler/sweep_spec.hpp"
#include "test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

namespace sr {
namespace {

using test::TempDir;
namespace fs = std::filesystem;

const fs::path bad_dir = test::source_dir() / "tests" / "data" / "bad_sweeps";

struct BadSweep {
    std::string name;
    fs::path file;
    std::string expected;  // full message, as SweepError::what() gives it
};

// Each <name>.yaml has a one-line <name>.expected: its message with paths relative to
// tests/data/bad_sweeps ("{dir}" stands for that folder inside the message).
std::vector<BadSweep> bad_sweeps() {
    std::vector<BadSweep> out;
    for (const auto& entry : fs::directory_iterator(bad_dir)) {
        if (entry.path().extension() != ".expected") continue;
        BadSweep b;
        b.name = entry.path().stem().string();
        b.file = bad_dir / (b.name + ".yaml");
        std::string text = test::read_text(entry.path());
        while (!text.empty() && text.back() == '\n') text.pop_back();
        EXPECT_EQ(text.find('\n'), std::string::npos) << b.name << ".expected must be one line";
        for (std::size_t p; (p = text.find("{dir}")) != std::string::npos;) text.replace(p, 5, bad_dir.string());
        b.expected = bad_dir.string() + "/" + text;
        out.push_back(std::move(b));
    }
    std::sort(out.begin(), out.end(), [](const BadSweep& a, const BadSweep& b) { return a.name < b.name; });
    return out;
}

std::string sweep_error(const fs::path& file) {
    try {
        expand(load_sweep(file), builtin_models());
    } catch (const SweepError& e) {
        return e.what();
    }
    return "(no error)";
}

TEST(BadSweeps, AtLeastFifteenEachWithItsFile) {
    const auto all = bad_sweeps();
    EXPECT_GE(all.size(), 15u);
    for (const BadSweep& b : all) EXPECT_TRUE(fs::exists(b.file)) << b.file;
    // and no sweep file without its expected message
    for (const auto& entry : fs::directory_iterator(bad_dir)) {
        if (entry.path().extension() == ".yaml") {
            EXPECT_TRUE(fs::exists(fs::path(entry.path()).replace_extension(".expected"))) << entry.path();
        }
    }
}

TEST(BadSweeps, LibraryGivesTheExactMessage) {
    for (const BadSweep& b : bad_sweeps()) {
        EXPECT_EQ(sweep_error(b.file), b.expected) << b.name;
    }
}

TEST(BadSweeps, SweepErrorCarriesLocationKeyAndReason) {
    try {
        expand(load_sweep(bad_dir / "wrong_type.yaml"), builtin_models());
        FAIL() << "no error";
    } catch (const SweepError& e) {
        EXPECT_EQ(e.where.file, (bad_dir / "wrong_type.yaml").string());
        EXPECT_EQ(e.where.line, 4);
        EXPECT_EQ(e.where.column, 10);
        EXPECT_EQ(e.key, "x");
        EXPECT_EQ(e.reason, "expected a number, got \"two\"");
    }
}

TEST(BadSweeps, CliExpandAndRunExitTwoWithTheMessageAndWriteNothing) {
    TempDir logs, work;
    for (const BadSweep& b : bad_sweeps()) {
        SCOPED_TRACE(b.name);
        const auto expanded = test::run_cli({"expand", b.file.string()}, logs.path());
        EXPECT_EQ(expanded.exit_code, 2);
        EXPECT_EQ(expanded.out, "");
        EXPECT_EQ(expanded.err, "error: " + b.expected + "\n");

        const fs::path out = work / (b.name + "_out");
        const fs::path db_dir = work / (b.name + "_db");
        const auto ran = test::run_cli({"run", b.file.string(), "--out", out.string(), "--db",
                                        (db_dir / "index.db").string(), "-j", "1"},
                                       logs.path(), work.path());
        EXPECT_EQ(ran.exit_code, 2);
        EXPECT_EQ(ran.out, "");
        EXPECT_EQ(ran.err, "error: " + b.expected + "\n");
        EXPECT_FALSE(fs::exists(out));
        EXPECT_FALSE(fs::exists(db_dir));
    }
    // The default results folder is not created either.
    const fs::path bad = bad_dir / "unknown_model.yaml";
    const auto ran = test::run_cli({"run", bad.string()}, logs.path(), work.path());
    EXPECT_EQ(ran.exit_code, 2);
    EXPECT_TRUE(fs::is_empty(work.path()));
}

// --- expansion at value level -------------------------------------------------------------

std::vector<Job> expand_text(const std::string& text, const fs::path& file = "sweep.yaml") {
    return expand(parse_sweep(text, file), builtin_models());
}

std::map<std::string, Json> params_by_key(const std::vector<Job>& jobs) {
    std::map<std::string, Json> out;
    for (const Job& j : jobs) out.emplace(j.key, j.params);
    return out;
}

const char* const header = "name: s\nmodel: testing.arith\n";

TEST(Expansion, KeyIsSha256OfCanonicalJson) {
    const auto jobs = expand_text(std::string(header) + "params:\n  x: 1\n");
    ASSERT_EQ(jobs.size(), 1u);
    const Job& j = jobs[0];
    // Defaults are filled in; the real x is stored as 1.0; keys sorted.
    EXPECT_EQ(j.params.dump(), R"({"group":{"label":"a"},"length":4,"seed":0,"x":1.0,"y":0.0})");
    EXPECT_EQ(j.key, sha256_hex(R"({"model":"testing.arith","model_version":1,"params":)"
                                R"({"group":{"label":"a"},"length":4,"seed":0,"x":1.0,"y":0.0}})"));
    EXPECT_EQ(j.key, job_key("testing.arith", 1, j.params));
    EXPECT_EQ(j.key.size(), 64u);
    EXPECT_EQ(j.sweep, "s");
    EXPECT_EQ(j.model, "testing.arith");
    EXPECT_EQ(j.model_version, 1);
    EXPECT_EQ(j.index, 0);
    EXPECT_EQ(j.block, "");
    // Model and version are part of the key.
    EXPECT_NE(job_key("testing.arith", 2, j.params), j.key);
    EXPECT_NE(job_key("testing.other", 1, j.params), j.key);
}

TEST(Expansion, ReorderingAxesDoesNotChangeKeys) {
    const auto a = expand_text(std::string(header) + "grid:\n  x: [1, 2, 3]\n  y: [4, 5]\n  seed: [7, 8]\n");
    const auto b = expand_text(std::string(header) + "grid:\n  seed: [8, 7]\n  y: [5, 4]\n  x: [3, 1, 2]\n");
    ASSERT_EQ(a.size(), 12u);
    ASSERT_EQ(b.size(), 12u);
    EXPECT_EQ(params_by_key(a), params_by_key(b));
    // but the order (and so the index) follows the file: the first axis is outermost
    EXPECT_EQ(a[1].params["seed"], 8);
    EXPECT_EQ(a[2].params["y"], 5.0);
    EXPECT_EQ(b[1].params["x"], 1.0);
}

TEST(Expansion, ReorderingMappingKeysDoesNotChangeKeys) {
    const auto a = expand_text(std::string(header) +
                               "params:\n  x: 1\n  y: 2\n  group:\n    label: q\n  seed: 3\n");
    const auto b = expand_text(std::string(header) +
                               "params:\n  seed: 3\n  group.label: q\n  y: 2\n  x: 1\n");
    const auto c = expand_text(std::string(header) + "params: {group: {label: q}, seed: 3, x: 1, y: 2}\n");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].key, b[0].key);
    EXPECT_EQ(a[0].key, c[0].key);
    EXPECT_EQ(a[0].params["group"]["label"], "q");
}

TEST(Expansion, ReorderingJointAxisKeysDoesNotChangeKeys) {
    const auto a = expand_text(std::string(header) +
                               "grid:\n  operands:\n    - {x: 1, y: 2, tags: {k: a}}\n    - {x: 3, y: 4}\n");
    const auto b = expand_text(std::string(header) +
                               "grid:\n  operands:\n    - {tags: {k: a}, y: 2, x: 1}\n    - {y: 4, x: 3}\n");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a[0].key, b[0].key);
    EXPECT_EQ(a[1].key, b[1].key);
    EXPECT_EQ(a[0].tags, Json({{"k", "a"}}));
    EXPECT_EQ(b[0].tags, Json({{"k", "a"}}));
    EXPECT_EQ(a[1].tags, Json::object());
}

TEST(Expansion, ReorderingBaseFileKeysDoesNotChangeKeys) {
    TempDir dir;
    test::write_text(dir / "base_a.yaml", "x: 1\ny: 2\ngroup:\n  label: z\n");
    test::write_text(dir / "base_b.yaml", "group: {label: z}\ny: 2\nx: 1\n");
    const auto a = expand(parse_sweep(std::string(header) + "base_file: base_a.yaml\n", dir / "s.yaml"), builtin_models());
    const auto b = expand(parse_sweep(std::string(header) + "base_file: base_b.yaml\n", dir / "s.yaml"), builtin_models());
    const auto inline_params =
        expand_text(std::string(header) + "params: {x: 1, y: 2, group: {label: z}}\n");
    ASSERT_EQ(a.size(), 1u);
    EXPECT_EQ(a[0].key, b[0].key);
    EXPECT_EQ(a[0].key, inline_params[0].key);  // where a value comes from is not part of the key
}

TEST(Expansion, IntegerAndRealSpellingsGiveTheSameKey) {
    const auto a = expand_text(std::string(header) + "params: {x: 1, y: -2, seed: 3}\n");
    const auto b = expand_text(std::string(header) + "params: {x: 1.0, y: -2.000, seed: 3.0}\n");
    const auto c = expand_text(std::string(header) + "params: {x: 1e0, y: -0.2e1, seed: +3}\n");
    EXPECT_EQ(a[0].key, b[0].key);
    EXPECT_EQ(a[0].key, c[0].key);
    EXPECT_TRUE(b[0].params["x"].is_number_float());
    EXPECT_TRUE(b[0].params["seed"].is_number_integer());  // integer parameter stays an integer
    EXPECT_EQ(b[0].params["seed"], 3);
    // Different values do differ.
    const auto d = expand_text(std::string(header) + "params: {x: 1.0000001, y: -2, seed: 3}\n");
    EXPECT_NE(a[0].key, d[0].key);
}

TEST(Expansion, GridIsCartesianWithTheLastAxisFastest) {
    const auto jobs = expand_text(std::string(header) + "grid:\n  x: [1, 2]\n  group.label: [p, q, r]\n");
    ASSERT_EQ(jobs.size(), 6u);
    const std::vector<std::pair<double, std::string>> expected = {
        {1, "p"}, {1, "q"}, {1, "r"}, {2, "p"}, {2, "q"}, {2, "r"}};
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        EXPECT_EQ(jobs[i].index, static_cast<std::int64_t>(i));
        EXPECT_EQ(jobs[i].params["x"], expected[i].first);
        EXPECT_EQ(jobs[i].params["group"]["label"], expected[i].second);
        EXPECT_EQ(jobs[i].params["length"], 4);  // default
    }
    std::set<std::string> keys;
    for (const Job& j : jobs) keys.insert(j.key);
    EXPECT_EQ(keys.size(), 6u);
}

TEST(Expansion, ZipAdvancesTogetherAndCombinesWithGridAndJobs) {
    const auto jobs = expand_text(std::string(header) +
                                  "grid:\n  length: [1, 2]\n"
                                  "zip:\n  x: [10, 20, 30]\n  y: [-1, -2, -3]\n"
                                  "jobs:\n  - {seed: 5}\n  - {seed: 6, group.label: j}\n");
    // axes: grid (2) x zip (3) x jobs (2) = 12, jobs fastest
    ASSERT_EQ(jobs.size(), 12u);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const Params& p = jobs[i].params;
        EXPECT_EQ(p["length"], static_cast<int>(i / 6 + 1));
        const int z = static_cast<int>(i / 2 % 3);
        EXPECT_EQ(p["x"], 10.0 * (z + 1));
        EXPECT_EQ(p["y"], -1.0 * (z + 1));
        EXPECT_EQ(p["seed"], i % 2 == 0 ? 5 : 6);
        EXPECT_EQ(p["group"]["label"], i % 2 == 0 ? "a" : "j");
    }
}

TEST(Expansion, ParamsWinOverTheBaseFileAndBlocksOverTheTop) {
    TempDir dir;
    test::write_text(dir / "exp" / "base.yaml", "x: 1\ny: 2\nlength: 9\ngroup:\n  label: from_base\n");
    test::write_text(dir / "exp" / "other.yaml", "x: 100\n");
    // base_file is resolved relative to the sweep file's folder.
    const std::string text = std::string(header) +
                             "base_file: exp/base.yaml\n"
                             "params:\n  y: 5\n  group.label: from_params\n"
                             "blocks:\n"
                             "  - name: plain\n"
                             "  - name: own_params\n    params: {length: 1, y: 6}\n"
                             "  - name: own_base\n    base_file: exp/other.yaml\n";
    const auto jobs = expand(parse_sweep(text, dir / "s.yaml"), builtin_models());
    ASSERT_EQ(jobs.size(), 3u);
    EXPECT_EQ(jobs[0].block, "plain");
    EXPECT_EQ(jobs[0].params.dump(), R"({"group":{"label":"from_params"},"length":9,"seed":0,"x":1.0,"y":5.0})");
    EXPECT_EQ(jobs[1].block, "own_params");
    EXPECT_EQ(jobs[1].params.dump(), R"({"group":{"label":"from_params"},"length":1,"seed":0,"x":1.0,"y":6.0})");
    // A block's own base file replaces the top-level one; the top-level params still apply.
    EXPECT_EQ(jobs[2].block, "own_base");
    EXPECT_EQ(jobs[2].params.dump(), R"({"group":{"label":"from_params"},"length":4,"seed":0,"x":100.0,"y":5.0})");
}

TEST(Expansion, DeriveCountsIndexWithinEachBlock) {
    const std::string text = std::string(header) +
                             "grid:\n  x: [1, 2]\n"
                             "derive:\n  seed: \"7654 + index\"\n"
                             "tags: {fig: 6, variant: top}\n"
                             "blocks:\n"
                             "  - name: a\n    grid:\n      y: [0, 1, 2]\n"
                             "  - params: {y: 10}\n    tags: {variant: b}\n"
                             "  - name: c\n    derive:\n      seed: \"x * 1000 + index // 2\"\n"
                             "      length: \"seed % 7\"\n";
    const auto jobs = expand_text(text);
    ASSERT_EQ(jobs.size(), 6u + 2u + 2u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(jobs[i].block, "a");
        EXPECT_EQ(jobs[i].index, i);
        EXPECT_EQ(jobs[i].params["seed"], 7654 + i);
        EXPECT_EQ(jobs[i].params["x"], 1.0 + i / 3);
        EXPECT_EQ(jobs[i].params["y"], static_cast<double>(i % 3));
        EXPECT_EQ(jobs[i].tags, Json({{"fig", 6}, {"variant", "top"}}));
    }
    for (int i = 0; i < 2; ++i) {
        const Job& j = jobs[6 + i];
        EXPECT_EQ(j.block, "block1");  // unnamed block
        EXPECT_EQ(j.index, i);
        EXPECT_EQ(j.params["seed"], 7654 + i);
        EXPECT_EQ(j.params["y"], 10.0);
        EXPECT_EQ(j.tags, Json({{"fig", 6}, {"variant", "b"}}));
    }
    // The block's derive of the same key replaces the top one; derivations run in order and see
    // the values derived before them.
    EXPECT_EQ(jobs[8].params["seed"], 1000);
    EXPECT_EQ(jobs[8].params["length"], 1000 % 7);
    EXPECT_EQ(jobs[9].params["seed"], 2000);
    EXPECT_EQ(jobs[9].params["length"], 2000 % 7);
}

TEST(Expansion, RepeatRunsDifferOnlyByIndexAndDeriveCanAdvanceABaseValue) {
    // The shape of sal-code's change_params.py: run i gets every seed advanced by 1 + i.
    const std::string text = std::string(header) +
                             "params: {seed: 100}\n"
                             "grid:\n  x: [1, 2]\n"
                             "repeat: 3\n"
                             "derive:\n  seed: \"seed + 1 + index\"\n";
    const auto jobs = expand_text(text);
    ASSERT_EQ(jobs.size(), 6u);
    for (int i = 0; i < 6; ++i) {
        EXPECT_EQ(jobs[i].index, i);
        EXPECT_EQ(jobs[i].params["x"], 1.0 + i / 3) << "repeat is the innermost axis";
        EXPECT_EQ(jobs[i].params["seed"], 101 + i);
    }
}

TEST(Expansion, DeriveSeesAxisValuesAndNestedKeys) {
    const auto jobs = expand(parse_sweep("name: s\nmodel: testing.arith\n"
                                         "grid:\n  length: [3, 5]\n  y: [0, 1]\n"
                                         "derive:\n  seed: \"length * 100 - index\"\n",
                                         "s.yaml"),
                             builtin_models());
    ASSERT_EQ(jobs.size(), 4u);
    EXPECT_EQ(jobs[0].params["seed"], 300);
    EXPECT_EQ(jobs[1].params["seed"], 299);
    EXPECT_EQ(jobs[2].params["seed"], 498);
    EXPECT_EQ(jobs[3].params["seed"], 497);
}

TEST(Expansion, TagsAndJointAxesWithTags) {
    const auto jobs = expand_text(std::string(header) +
                                  "tags: {purpose: test, round: 2}\n"
                                  "grid:\n  rule:\n    - {x: 1, y: 1, tags: {sal: on}}\n"
                                  "    - {x: 2, y: 2, tags: {sal: off, purpose: override}}\n");
    ASSERT_EQ(jobs.size(), 2u);
    // yaml 'on' is a plain string here: only true/false are booleans
    EXPECT_EQ(jobs[0].tags, Json({{"purpose", "test"}, {"round", 2}, {"sal", "on"}}));
    EXPECT_EQ(jobs[1].tags, Json({{"purpose", "override"}, {"round", 2}, {"sal", "off"}}));
    EXPECT_EQ(jobs[0].params["x"], 1.0);
    EXPECT_EQ(jobs[1].params["y"], 2.0);
}

TEST(Expansion, TimeoutCostAndSpecText) {
    const std::string text = "name: sl\nmodel: testing.sleep\ntimeout: 2.5\ngrid:\n  seconds: [0.1, 3]\n";
    const SweepSpec spec = parse_sweep(text, "sl.yaml");
    EXPECT_EQ(spec.text, text);
    EXPECT_EQ(spec.name, "sl");
    EXPECT_EQ(spec.model, "testing.sleep");
    ASSERT_TRUE(spec.timeout_seconds.has_value());
    EXPECT_EQ(*spec.timeout_seconds, 2.5);
    const auto jobs = expand(spec, builtin_models());
    ASSERT_EQ(jobs.size(), 2u);
    EXPECT_EQ(jobs[0].timeout_seconds, 2.5);
    EXPECT_EQ(jobs[0].cost, 0.1);  // testing.sleep estimates its cost as its seconds
    EXPECT_EQ(jobs[1].cost, 3.0);
}

TEST(Expansion, DeterministicAcrossRuns) {
    const std::string text = std::string(header) + "grid:\n  x: [1, 2, 3]\nderive:\n  seed: \"index * 7\"\n";
    const auto a = expand_text(text);
    const auto b = expand_text(text);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].key, b[i].key);
        EXPECT_EQ(a[i].params, b[i].params);
    }
}

TEST(Expansion, Sha256KnownVectors) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// Payload checksums stream a file in chunks: any split must give the one-shot digest.
TEST(Expansion, Sha256StreamingEqualsOneShot) {
    const std::string million(1000000, 'a');
    Sha256 sha;
    for (std::size_t at = 0; at < million.size(); at += 4093)
        sha.update(std::string_view(million).substr(at, 4093));
    const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
    EXPECT_EQ(sha.hex_digest(), expected);
    EXPECT_EQ(sha256_hex(million), expected);
}

TEST(Cli, ExpandPrintsTheLibrarysJobsAsJsonAndTable) {
    TempDir logs;
    const fs::path quick = test::source_dir() / "sweeps" / "testing_quick.yaml";
    const auto jobs = expand(load_sweep(quick), builtin_models());
    const auto json = test::run_cli({"expand", quick.string(), "--format", "json"}, logs.path());
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(json.err, "");
    const Json printed = Json::parse(json.out);
    ASSERT_EQ(printed.size(), jobs.size());
    ASSERT_EQ(jobs.size(), 240u);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        EXPECT_EQ(printed[i]["key"], jobs[i].key);
        EXPECT_EQ(printed[i]["index"], jobs[i].index);
        EXPECT_EQ(printed[i]["params"], jobs[i].params);
        EXPECT_EQ(printed[i]["tags"], Json({{"purpose", "smoke"}}));
        EXPECT_EQ(printed[i]["model"], "testing.arith");
    }
    const auto table = test::run_cli({"expand", quick.string()}, logs.path());
    ASSERT_EQ(table.exit_code, 0);
    const auto lines = test::split_lines(table.out);
    ASSERT_EQ(lines.size(), 242u);
    // The parameters that vary are columns of their own.
    EXPECT_EQ(lines.front(), "index  key           cost  seed  x    y   tag.purpose");
    EXPECT_NE(lines[1].find(jobs[0].key.substr(0, 12)), std::string::npos);
    EXPECT_EQ(lines.back(), "240 jobs, estimated cost 240 s");
}

TEST(Expansion, ClosestMatch) {
    const std::vector<std::string> names = {"grid", "zip", "jobs", "params", "derive"};
    EXPECT_EQ(closest_match("gird", names), "grid");
    EXPECT_EQ(closest_match("parms", names), "params");
    EXPECT_EQ(closest_match("derived", names), "derive");
    EXPECT_EQ(closest_match("completely_else", names), std::nullopt);
}

// Bug reports quote this line: it must name the program, the release and the exact build.
TEST(Cli, VersionNamesProgramReleaseAndGitDescribe) {
    TempDir logs;
    const auto version = test::run_cli({"--version"}, logs.path());
    ASSERT_EQ(version.exit_code, 0) << version.err;
    // The describe is the binary's own (a test binary rebuilt at another commit may differ).
    EXPECT_EQ(version.out.rfind("sweep_runner 0.1.0 (", 0), 0u) << version.out;
    EXPECT_NE(version.out.find(", " + build_info().build_type + ")"), std::string::npos) << version.out;
    EXPECT_GT(version.out.size(), std::string("sweep_runner 0.1.0 (, " + build_info().build_type + ")").size() + 1);
}

}  // namespace
}  // namespace sr
