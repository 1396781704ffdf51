#include "worker/wire.hpp"

#include "core/byte_io.hpp"

#include <cstdint>
#include <stdexcept>
#include <unordered_map>

namespace sr::wire {
namespace {

enum class Record : std::uint8_t { started = 1, finished = 2, returned = 3 };

// Texts behind a u32 length; a truncated message throws.
using Writer = ByteWriter<std::uint32_t>;
using Reader = ByteReader<std::uint32_t>;
constexpr const char* kTruncated = "truncated message from another rank";

Outcome outcome_from(std::uint8_t code) {
    if (code > static_cast<std::uint8_t>(Outcome::interrupted)) throw std::runtime_error("bad outcome in message");
    return static_cast<Outcome>(code);
}

}  // namespace

void append_job(std::string& message, const PackedJob& job) {
    Writer(message)
        .put(job.id).put(job.index).put(std::int32_t{job.model_version}).put(std::int32_t{job.attempts})
        .put(std::int32_t{job.cpus})
        .put(job.cost).put(job.timeout_seconds)
        .put(job.sweep).put(job.block).put(job.key).put(job.model).put(job.params).put(job.tags);
}

std::vector<PackedJob> decode_jobs(std::string_view message) {
    std::vector<PackedJob> jobs;
    Reader in(message, kTruncated);
    while (!in.done()) {
        PackedJob& job = jobs.emplace_back();
        job.id = in.get<std::int64_t>();
        job.index = in.get<std::int64_t>();
        job.model_version = in.get<std::int32_t>();
        job.attempts = in.get<std::int32_t>();
        job.cpus = in.get<std::int32_t>();
        job.cost = in.get<double>();
        job.timeout_seconds = in.get<double>();
        job.sweep = in.text();
        job.block = in.text();
        job.key = in.text();
        job.model = in.text();
        job.params = in.text();
        job.tags = in.text();
    }
    return jobs;
}

std::string encode_events(const PoolEvents& events) {
    // Starts paired with a finish in this message travel inside it.
    std::unordered_map<std::string_view, int> unpaired_finishes;
    for (const JobOutcome& o : events.finished) ++unpaired_finishes[o.key];
    std::unordered_map<std::string_view, int> included_starts;
    std::string message;
    Writer out(message);
    for (const JobStart& s : events.started) {
        if (const auto it = unpaired_finishes.find(s.key); it != unpaired_finishes.end() && it->second > 0) {
            --it->second;
            ++included_starts[s.key];
            continue;
        }
        out.put(static_cast<std::uint8_t>(Record::started)).put(s.job_id).put(std::int32_t{s.rank}).put(s.started)
            .put(s.key).put(s.host);
    }
    for (const JobOutcome& o : events.finished) {
        bool start_included = false;
        if (const auto it = included_starts.find(o.key); it != included_starts.end() && it->second > 0) {
            --it->second;
            start_included = true;
        }
        // The result header: fixed-size fields first, then the strings, then the metrics.
        out.put(static_cast<std::uint8_t>(Record::finished)).put(static_cast<std::uint8_t>(o.outcome))
            .put(static_cast<std::uint8_t>(start_included)).put(o.job_id).put(std::int32_t{o.rank})
            .put(o.started).put(o.finished).put(o.wall_seconds)
            .put(static_cast<std::uint32_t>(o.metrics.size()))
            .put(o.key).put(o.host).put(o.payload_path).put(o.payload_sha256).put(o.error);
        for (const auto& [name, value] : o.metrics) out.put(name).put(value);
    }
    for (const std::string& key : events.returned) out.put(static_cast<std::uint8_t>(Record::returned)).put(key);
    return message;
}

PoolEvents decode_events(std::string_view message) {
    PoolEvents events;
    Reader in(message, kTruncated);
    while (!in.done()) {
        switch (static_cast<Record>(in.get<std::uint8_t>())) {
            case Record::started: {
                JobStart& s = events.started.emplace_back();
                s.job_id = in.get<std::int64_t>();
                s.rank = in.get<std::int32_t>();
                s.started = in.get<double>();
                s.key = in.text();
                s.host = in.text();
                break;
            }
            case Record::finished: {
                JobOutcome& o = events.finished.emplace_back();
                o.outcome = outcome_from(in.get<std::uint8_t>());
                const bool start_included = in.get<std::uint8_t>() != 0;
                o.job_id = in.get<std::int64_t>();
                o.rank = in.get<std::int32_t>();
                o.started = in.get<double>();
                o.finished = in.get<double>();
                o.wall_seconds = in.get<double>();
                const auto metric_count = in.get<std::uint32_t>();
                o.key = in.text();
                o.host = in.text();
                o.payload_path = in.text();
                o.payload_sha256 = in.text();
                o.error = in.text();
                for (std::uint32_t m = 0; m < metric_count; ++m) {
                    std::string name = in.text();
                    o.metrics.emplace(std::move(name), in.get<double>());
                }
                if (start_included) events.started.push_back({o.key, o.host, o.rank, o.started, o.job_id});
                break;
            }
            case Record::returned: events.returned.push_back(in.text()); break;
            default: throw std::runtime_error("bad record in message from another rank");
        }
    }
    return events;
}

}  // namespace sr::wire
