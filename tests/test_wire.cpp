// The binary messages between the coordinator and worker ranks (worker/wire.hpp) give back exactly
// what was encoded: long and odd strings, infinite metrics, error texts, folded starts.
#include "worker/wire.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

namespace sr {
namespace {

PackedJob sample_job(int i) {
    PackedJob j;
    j.sweep = "sweep_" + std::to_string(i);
    j.index = -3 + 1'000'000'000'000LL * i;
    j.block = i % 2 ? "" : "block \"b\"";
    j.key = std::string(64, static_cast<char>('a' + i));
    j.model = "testing.arith";
    j.model_version = 7 + i;
    j.params = R"({"group":{"label":"ä\n"},"x":1.5})";
    j.tags = "{}";
    j.cost = 2.5 * i;
    j.timeout_seconds = i ? 0.0 : 3600.5;
    j.attempts = i;
    j.id = 42 + i;
    return j;
}

void expect_same(const PackedJob& a, const PackedJob& b) {
    EXPECT_EQ(a.sweep, b.sweep);
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.block, b.block);
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.model, b.model);
    EXPECT_EQ(a.model_version, b.model_version);
    EXPECT_EQ(a.params, b.params);
    EXPECT_EQ(a.tags, b.tags);
    EXPECT_EQ(a.cost, b.cost);
    EXPECT_EQ(a.timeout_seconds, b.timeout_seconds);
    EXPECT_EQ(a.attempts, b.attempts);
    EXPECT_EQ(a.id, b.id);
}

void expect_same(const JobOutcome& a, const JobOutcome& b) {
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.outcome, b.outcome);
    EXPECT_EQ(a.error, b.error);
    EXPECT_EQ(a.metrics, b.metrics);
    EXPECT_EQ(a.payload_path, b.payload_path);
    EXPECT_EQ(a.payload_sha256, b.payload_sha256);
    EXPECT_EQ(a.started, b.started);
    EXPECT_EQ(a.finished, b.finished);
    EXPECT_EQ(a.wall_seconds, b.wall_seconds);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.rank, b.rank);
    EXPECT_EQ(a.job_id, b.job_id);
}

TEST(Wire, JobsRoundTrip) {
    std::vector<PackedJob> jobs = {sample_job(0), sample_job(1), sample_job(2)};
    jobs[2].params = R"({"big":")" + std::string(200'000, 'x') + R"("})";  // longer than any MPI eager limit
    std::string message;
    for (const PackedJob& j : jobs) wire::append_job(message, j);
    const std::vector<PackedJob> back = wire::decode_jobs(message);
    ASSERT_EQ(back.size(), jobs.size());
    for (std::size_t i = 0; i < jobs.size(); ++i) expect_same(back[i], jobs[i]);
    EXPECT_TRUE(wire::decode_jobs("").empty());
}

TEST(Wire, EventsRoundTripWithResultHeaders) {
    PoolEvents events;
    // "a" started and finished since the last message: its start travels inside its result.
    events.started.push_back({"a", "node-1", 3, 100.25, 7});
    events.started.push_back({"b", "node-1", 3, 101.5, 8});  // still running
    JobOutcome a;
    a.key = "a";
    a.outcome = Outcome::done;
    a.metrics = {{"dkl", HUGE_VAL}, {"low", -HUGE_VAL}, {"sum", 0.1}, {"tiny", 5e-324}};
    a.payload_path = "/results/s/aa/" + std::string(5000, 'a') + ".h5";
    a.payload_sha256 = std::string(64, 'f');
    a.started = 100.25;
    a.finished = 100.75;
    a.wall_seconds = 0.5;
    a.host = "node-1";
    a.rank = 3;
    a.job_id = 7;
    JobOutcome c;  // started in an earlier message
    c.key = "c";
    c.outcome = Outcome::failed;
    c.error = "timeout: exceeded 2 s\nsecond line, \"quoted\", ünïcode\t" + std::string(100'000, 'e');
    c.started = 90;
    c.finished = 92;
    c.wall_seconds = 2;
    c.host = "node-1";
    c.rank = 3;
    JobOutcome d;
    d.key = "d";
    d.outcome = Outcome::interrupted;
    d.error = "stopped on request; checkpoint saved";
    events.finished = {a, c, d};
    events.returned = {"e", "f"};

    const PoolEvents back = wire::decode_events(wire::encode_events(events));
    ASSERT_EQ(back.finished.size(), 3u);
    expect_same(back.finished[0], a);
    expect_same(back.finished[1], c);
    expect_same(back.finished[2], d);
    EXPECT_TRUE(std::isinf(back.finished[0].metrics.at("dkl")) && back.finished[0].metrics.at("dkl") > 0);
    EXPECT_EQ(back.returned, events.returned);
    // Both starts come back: "b" as sent, "a" recreated from its result header.
    ASSERT_EQ(back.started.size(), 2u);
    EXPECT_EQ(back.started[0].key, "b");
    EXPECT_EQ(back.started[0].started, 101.5);
    EXPECT_EQ(back.started[0].job_id, 8);
    EXPECT_EQ(back.started[1].key, "a");
    EXPECT_EQ(back.started[1].host, "node-1");
    EXPECT_EQ(back.started[1].rank, 3);
    EXPECT_EQ(back.started[1].started, 100.25);
    EXPECT_EQ(back.started[1].job_id, 7);
}

TEST(Wire, TruncatedMessagesAreRefused) {
    std::string jobs;
    wire::append_job(jobs, sample_job(1));
    EXPECT_THROW(wire::decode_jobs(std::string_view(jobs).substr(0, jobs.size() - 1)), std::runtime_error);
    PoolEvents events;
    events.finished.push_back({});
    events.finished.back().key = "k";
    const std::string message = wire::encode_events(events);
    EXPECT_THROW(wire::decode_events(std::string_view(message).substr(0, message.size() - 3)), std::runtime_error);
}

}  // namespace
}  // namespace sr
