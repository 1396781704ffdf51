// Jobs and environments that used to take the runner down or lose results: a program's output
// nested 30,000 levels deep, parameters over 64 kB, a full disk.
#include "db/payload.hpp"
#include "hostile_support.hpp"

#include <nlohmann/json.hpp>

namespace {
using namespace hostile;
using Json = nlohmann::json;

Json results(const TempDir& tmp, const fs::path& db, const std::string& sweep, const std::string& columns = "") {
    std::vector<std::string> args = {"results", db.string(), "--sweep", sweep, "--format", "json"};
    if (!columns.empty()) args.insert(args.end(), {"--columns", columns});
    const Outcome o = run(args, tmp.path());
    EXPECT_EQ(o.exit_code, 0) << o.err;
    return Json::parse(o.out);
}

TEST(HostileJobs, DeeplyNestedProgramOutputFailsOnlyItsJob) {
    TempDir tmp;
    write(tmp / "poison.py",
          "import sys\n"
          "n = int(sys.argv[2])\n"
          "open(sys.argv[1], 'w').write('{\"metrics\": {\"a\": ' + '[' * n + ']' * n + '}}' if n else '{\"metrics\": {\"a\": 1}}')\n");
    write(tmp / "sweep.yaml", "name: poison\nmodel: exec\n"
                              "command: [/usr/bin/python3, \"{sweep_dir}/poison.py\", \"{output_file}\", \"{param:depth}\"]\n"
                              "grid:\n  depth: [0, 30000]\n");
    const fs::path db = tmp / "index.db";
    const std::vector<std::string> args = {"run", (tmp / "sweep.yaml").string(), "--db", db.string(),
                                           "--out", (tmp / "out").string(), "-j", "2", "-q"};
    for (int attempt = 0; attempt < 2; ++attempt) {  // the rerun neither crashes nor runs it again
        const Outcome o = run(args, tmp.path());
        EXPECT_EQ(o.exit_code, 1) << o.err;
    }
    for (const Json& row : results(tmp, db, "poison", "depth,status,attempts,error")) {
        if (row["depth"] == 0) {
            EXPECT_EQ(row["status"], "done") << row;
        } else {
            EXPECT_EQ(row["status"], "failed") << row;
            EXPECT_NE(row["error"].get<std::string>().find("JSON nested deeper than 64 levels"), std::string::npos) << row;
            EXPECT_EQ(row["attempts"], 1) << row;
        }
    }
}

TEST(HostileJobs, ParametersOverSixtyFourKilobytes) {
    TempDir tmp;
    const std::string label(70000, 'p');
    write(tmp / "sweep.yaml", "name: big_params\nmodel: testing.arith\nparams:\n  group.label: " + label + "\n"
                              "grid:\n  x: [1, 2]\n");
    const fs::path db = tmp / "index.db";
    const Outcome o = run({"run", (tmp / "sweep.yaml").string(), "--db", db.string(), "--out", (tmp / "out").string(), "-q"},
                          tmp.path());
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const Json rows = results(tmp, db, "big_params");
    ASSERT_EQ(rows.size(), 2u);
    for (const Json& row : rows) {
        EXPECT_EQ(row["status"], "done") << row["error"];
        const std::string key = row["key"];
        const sr::PayloadContents contents =
            sr::read_payload_summary(tmp / "out" / "big_params" / key.substr(0, 2) / (key + ".h5"));
        EXPECT_EQ(Json::parse(contents.attributes["params_json"].get<std::string>())["group"]["label"], label);
        EXPECT_EQ(contents.metrics.at("sum"), row["x"].get<double>());
    }
}

TEST(HostileJobs, FullDiskStopsTheRunAndTheRerunFinishes) {
    TempDir tmp;
    // Payloads of 800 kB; the index stays far below the limit.
    write(tmp / "sweep.yaml", "name: full\nmodel: testing.arith\nparams:\n  length: 100000\ngrid:\n  x: [1, 2, 3, 4, 5, 6]\n");
    const fs::path db = tmp / "index.db";
    const std::vector<std::string> args = {"run", (tmp / "sweep.yaml").string(), "--db", db.string(),
                                           "--out", (tmp / "out").string(), "-j", "2"};
    Limits full;
    full.file_bytes = 400'000;  // a write past it fails like one to a full disk (EFBIG; ENOSPC alike)
    const Outcome stopped = run(args, tmp.path(), full);
    EXPECT_EQ(stopped.exit_code, 3) << stopped.err;
    EXPECT_NE(stopped.err.find("error: run stopped: out of disk space: "), std::string::npos) << stopped.err;
    EXPECT_NE(stopped.err.find("File too large"), std::string::npos) << stopped.err;
    EXPECT_EQ(stopped.err.find("HDF5"), std::string::npos) << stopped.err;  // no library dump at exit
    for (const Json& row : results(tmp, db, "full")) EXPECT_EQ(row["status"], "pending") << row;
    const Outcome status = run({"status", db.string()}, tmp.path());
    EXPECT_NE(status.out.find("full: 0 done, 0 failed, 0 running, 6 pending"), std::string::npos) << status.out;

    // Space again: the rerun finishes every job.
    const Outcome rerun = run(args, tmp.path());
    EXPECT_EQ(rerun.exit_code, 0) << rerun.err;
    for (const Json& row : results(tmp, db, "full")) EXPECT_EQ(row["status"], "done") << row;
}

TEST(HostileJobs, IndexInAFolderTheReaderMayNotWrite) {
    TempDir tmp;
    write(tmp / "sweep.yaml", "name: archived\nmodel: testing.arith\ngrid:\n  x: [1, 2, 3]\n");
    const fs::path folder = tmp / "archive", db = folder / "index.db";
    ASSERT_EQ(run({"run", (tmp / "sweep.yaml").string(), "--db", db.string(), "--out", (tmp / "out").string(), "-q"},
                  tmp.path())
                  .exit_code,
              0);
    // Readable by all, writable by nobody but its owner; the reader is not the owner (root, which
    // may write anywhere, reads as user nobody) or the folder is made read-only.
    Limits reader;
    fs::permissions(tmp.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    fs::permissions(db, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read | fs::perms::others_read);
    if (::geteuid() == 0) {
        reader.user = 65534;
        for (const char* log : {"stdout.txt", "stderr.txt"}) {  // the reader's logs, written as nobody
            write(tmp / log, "");
            fs::permissions(tmp / log, fs::perms::all);
        }
        fs::permissions(tmp.path(), fs::perms::all);
        fs::permissions(folder, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                    fs::perms::others_read | fs::perms::others_exec);
    } else {
        fs::permissions(folder, fs::perms::owner_read | fs::perms::owner_exec | fs::perms::group_read |
                                    fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
    }
    const Outcome status = run({"status", db.string()}, tmp.path(), reader);
    EXPECT_EQ(status.exit_code, 0) << status.err;
    EXPECT_EQ(status.out, "archived: 3 done, 0 failed, 0 running, 0 pending\n");
    const Outcome results = run({"results", db.string(), "--sweep", "archived", "--format", "csv", "--columns", "x,sum"},
                                tmp.path(), reader);
    EXPECT_EQ(results.exit_code, 0) << results.err;
    EXPECT_EQ(results.out, "x,sum\n1.0,1.0\n2.0,2.0\n3.0,3.0\n");
    // The documented Python helper reads it too (a copy the reader can read, wherever the checkout is).
    if (fs::exists("/usr/bin/python3")) {
        fs::copy_file(sr::test::source_dir() / "tools" / "sweep_index.py", tmp / "sweep_index.py");
        fs::permissions(tmp / "sweep_index.py", fs::perms::all);
        Limits python = reader;
        python.memory_bytes = std::size_t{8} << 30;  // numpy's thread pools reserve address space
        const Outcome loaded = run_program({"/usr/bin/python3", "-c",
                                            "import sys; sys.path.insert(0, sys.argv[1]); from sweep_index import load; "
                                            "print(list(load(sys.argv[2])['sum']))",
                                            tmp.path().string(), db.string()},
                                           tmp.path(), python);
        EXPECT_EQ(loaded.exit_code, 0) << loaded.err;
        EXPECT_EQ(loaded.out, "[1.0, 2.0, 3.0]\n");
    }
    EXPECT_FALSE(fs::exists(folder / "index.db-shm")) << "the reader wrote nothing";
    fs::permissions(folder, fs::perms::owner_all);
}

// A payload changed after its job ran (overwritten, truncated) is refused by the Python helper, which
// names the file, while the untouched payloads read as before.
TEST(HostileJobs, PythonHelperRefusesAPayloadChangedSinceItsJobRan) {
    if (!fs::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
    TempDir tmp;
    write(tmp / "sweep.yaml", "name: checked\nmodel: testing.arith\ngrid:\n  x: [1, 2, 3]\n");
    const fs::path db = tmp / "index.db";
    ASSERT_EQ(run({"run", (tmp / "sweep.yaml").string(), "--db", db.string(), "--out", (tmp / "out").string(), "-q"},
                  tmp.path())
                  .exit_code,
              0);
    const Json jobs = results(tmp, db, "checked", "x,payload_path");
    ASSERT_EQ(jobs.size(), 3u);
    const fs::path changed = tmp / jobs[1]["payload_path"].get<std::string>();
    ASSERT_TRUE(fs::exists(changed)) << changed;
    std::ofstream(changed, std::ios::binary | std::ios::app) << '\0';  // one byte more: HDF5 still opens it

    Limits python;
    python.memory_bytes = std::size_t{8} << 30;  // numpy's thread pools reserve address space
    const Outcome o = run_program({"/usr/bin/python3", "-c",
                                   "import sys; sys.path.insert(0, sys.argv[1]); import sweep_index as si\n"
                                   "df = si.load(sys.argv[2])\n"
                                   "for _, row in df.iterrows():\n"
                                   "    try: print(row.x, si.payload(row)['series'].shape)\n"
                                   "    except ValueError as e: print(row.x, e)\n"
                                   "try: si.stack(df, 'series')\n"
                                   "except ValueError as e: print('stack:', e)\n",
                                   (sr::test::source_dir() / "tools").string(), db.string()},
                                  tmp.path(), python);
    ASSERT_EQ(o.exit_code, 0) << o.err;
    const std::string mismatch = changed.lexically_normal().string() + ": checksum mismatch: the index has ";
    std::istringstream lines(o.out);
    std::string line;
    std::vector<std::string> seen;
    while (std::getline(lines, line)) seen.push_back(line);
    ASSERT_EQ(seen.size(), 4u) << o.out;
    EXPECT_EQ(seen[0], "1.0 (4,)");
    EXPECT_EQ(seen[1].rfind("2.0 " + mismatch, 0), 0u) << seen[1];
    EXPECT_EQ(seen[2], "3.0 (4,)");
    EXPECT_EQ(seen[3].rfind("stack: " + mismatch, 0), 0u) << seen[3];
}

// Alive and not a zombie (a zombie's parent may be a container's init that never reaps).
bool running(pid_t pid) {
    const std::string stat = read("/proc/" + std::to_string(pid) + "/stat");
    if (stat.empty()) return false;
    const auto state = stat.find(") ");
    return state != std::string::npos && stat[state + 2] != 'Z';
}

TEST(HostileJobs, ExecGrandchildrenDieWithTheRunner) {
    TempDir tmp;
    write(tmp / "spawn.py",
          "import subprocess, sys, time\n"
          "child = subprocess.Popen(['/bin/sleep', '60'])\n"
          "open(sys.argv[1] + '.tmp', 'w').write(str(child.pid))\n"
          "import os; os.rename(sys.argv[1] + '.tmp', sys.argv[1])\n"
          "time.sleep(60)\n");
    write(tmp / "sweep.yaml", "name: spawn\nmodel: exec\n"
                              "command: [/usr/bin/python3, \"{sweep_dir}/spawn.py\", \"{sweep_dir}/pid\"]\n");
    const pid_t runner = start({"run", (tmp / "sweep.yaml").string(), "--db", (tmp / "index.db").string(), "--out",
                                (tmp / "out").string(), "-q"},
                               tmp.path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!fs::exists(tmp / "pid") && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(fs::exists(tmp / "pid"));
    const pid_t grandchild = std::stoi(read(tmp / "pid"));
    EXPECT_TRUE(running(grandchild));
    ::kill(runner, SIGKILL);
    int status = 0;
    ::waitpid(runner, &status, 0);
    const auto gone_by = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (running(grandchild) && std::chrono::steady_clock::now() < gone_by) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_FALSE(running(grandchild)) << "the program's own child outlived the runner";
    if (running(grandchild)) ::kill(grandchild, SIGKILL);
}

TEST(HostileJobs, SecondSignalEndsTheRunAtOnce) {
    TempDir tmp;
    // A program that ignores SIGTERM: the first signal's clean stop waits 2 s for it before SIGKILL.
    write(tmp / "sweep.yaml", "name: stubborn\nmodel: exec\n"
                              "command: [/bin/sh, -c, \"trap '' TERM; touch \\\"$0\\\"; sleep 60\", \"{sweep_dir}/started\"]\n");
    const std::vector<std::string> args = {"run", (tmp / "sweep.yaml").string(), "--db", (tmp / "index.db").string(),
                                           "--out", (tmp / "out").string(), "-q"};
    const pid_t runner = start(args, tmp.path());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!fs::exists(tmp / "started") && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ASSERT_TRUE(fs::exists(tmp / "started"));
    ::kill(runner, SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const auto second = std::chrono::steady_clock::now();
    ::kill(runner, SIGTERM);
    const Outcome o = finish(runner, tmp.path(), 10);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - second).count();
    EXPECT_EQ(o.exit_code, 128 + SIGTERM) << o.err;
    EXPECT_LT(seconds, 1.0) << "the second signal did not end the run at once";
    // The index stays readable and the job unfinished (left running or pending: the next run's).
    const Outcome status = run({"status", (tmp / "index.db").string()}, tmp.path());
    EXPECT_NE(status.out.find("stubborn: 0 done, 0 failed, "), std::string::npos) << status.out;
}

}  // namespace
