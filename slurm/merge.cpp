#include "db/index_lock.hpp"
#include "db/store.hpp"
#include "slurm/slurm.hpp"


#include <algorithm>
#include <regex>
#include <set>

namespace sr::slurm {
namespace fs = std::filesystem;
namespace {

struct ShardJob {
    std::string sweep;
    std::int64_t idx = 0;
    std::string block, key, model, params, tags, status, host, error, payload_path, payload_sha256,
        binary_version, build_type;
    int model_version = 1, attempts = 0, rank = 0;
    double cost = 1, started = 0, finished = 0, wall_seconds = 0;
    bool has_error = false, has_payload = false;
    std::vector<std::pair<std::string, double>> metrics;
};

struct ShardSweep {
    std::string name, spec_path, spec_text, spec_hash;
    double created = 0, updated = 0;
};

void read_shard(const fs::path& path, std::vector<ShardSweep>& sweeps, std::vector<ShardJob>& jobs) {
    Store shard(path.string(), /*read_only=*/true);
    sql::Connection& db = shard.connection();
    auto s = db.prepare("SELECT name, spec_path, spec_text, spec_hash, created, updated FROM sweeps");
    while (s.step()) {
        sweeps.push_back({s.get_text(0), s.get_text(1), s.get_text(2), s.get_text(3), s.get_double(4), s.get_double(5)});
    }
    auto j = db.prepare(R"sql(
        SELECT s.name, j.idx, j.block, j.key, j.model, j.model_version, j.params, j.tags, j.cost, j.status,
               j.attempts, coalesce(j.host, ''), coalesce(j.rank, 0), coalesce(j.started, 0),
               coalesce(j.finished, 0), coalesce(j.wall_seconds, 0), j.error, j.payload_path,
               coalesce(j.payload_sha256, ''), coalesce(j.binary_version, ''), coalesce(j.build_type, ''), j.id
        FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.status IN ('done', 'failed'))sql");
    auto m = db.prepare("SELECT name, value FROM metrics WHERE job_id = ? ORDER BY name");
    while (j.step()) {
        ShardJob r;
        r.sweep = j.get_text(0);
        r.idx = j.get_int(1);
        r.block = j.get_text(2);
        r.key = j.get_text(3);
        r.model = j.get_text(4);
        r.model_version = static_cast<int>(j.get_int(5));
        r.params = j.get_text(6);
        r.tags = j.get_text(7);
        r.cost = j.get_double(8);
        r.status = j.get_text(9);
        r.attempts = static_cast<int>(j.get_int(10));
        r.host = j.get_text(11);
        r.rank = static_cast<int>(j.get_int(12));
        r.started = j.get_double(13);
        r.finished = j.get_double(14);
        r.wall_seconds = j.get_double(15);
        r.has_error = !j.is_null(16);
        if (r.has_error) r.error = j.get_text(16);
        r.has_payload = !j.is_null(17);
        if (r.has_payload) r.payload_path = j.get_text(17);
        r.payload_sha256 = j.get_text(18);
        r.binary_version = j.get_text(19);
        r.build_type = j.get_text(20);
        m.bind(1, j.get_int(21));
        while (m.step()) r.metrics.emplace_back(m.get_text(0), m.get_double(1));
        m.reset();
        jobs.push_back(std::move(r));
    }
}

}  // namespace

std::map<std::string, UnmergedCounts> unmerged_counts(const fs::path& db_path, Store& index) {
    std::map<std::string, UnmergedCounts> counts;
    const std::vector<fs::path> shards = find_shards(db_path);
    if (shards.empty()) return counts;
    std::set<std::pair<std::string, std::string>> done_in_index;  // (sweep, key)
    auto done = index.connection().prepare(
        "SELECT s.name, j.key FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE j.status = 'done'");
    while (done.step()) done_in_index.emplace(done.get_text(0), done.get_text(1));
    std::map<std::pair<std::string, std::string>, bool> outcome;  // (sweep, key) -> done in some shard
    std::map<std::string, std::set<std::size_t>> shards_of;        // sweep -> shards contributing
    for (std::size_t i = 0; i < shards.size(); ++i) {
        Store shard(shards[i].string(), /*read_only=*/true);
        auto finished = shard.connection().prepare(
            "SELECT s.name, j.key, j.status = 'done' FROM jobs j JOIN sweeps s ON s.id = j.sweep_id "
            "WHERE j.status IN ('done', 'failed')");
        while (finished.step()) {
            std::pair<std::string, std::string> job{finished.get_text(0), finished.get_text(1)};
            if (done_in_index.count(job)) continue;
            shards_of[job.first].insert(i);
            bool& is_done = outcome[job];
            is_done = is_done || finished.get_int(2) != 0;
        }
    }
    for (const auto& [job, is_done] : outcome) {
        UnmergedCounts& c = counts[job.first];
        (is_done ? c.done : c.failed) += 1;
        c.shards = shards_of[job.first].size();
    }
    return counts;
}

std::vector<fs::path> find_shards(const fs::path& db_path) {
    std::vector<fs::path> shards;
    const fs::path dir = db_path.parent_path().empty() ? fs::path(".") : db_path.parent_path();
    const std::string prefix = db_path.filename().string() + ".shard-";
    static const std::regex tail(R"(\d+-of-\d+\.db)");
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || !std::regex_match(name.substr(prefix.size()), tail)) continue;
        shards.push_back(entry.path());
    }
    std::sort(shards.begin(), shards.end());
    return shards;
}

MergeSummary merge_shards(const fs::path& db_path) {
    MergeSummary summary;
    const std::vector<fs::path> shards = find_shards(db_path);
    // Waits for a run on the index to end: no runner writes it while shards fold in.
    IndexLock lock(db_path, IndexLock::Mode::wait);
    Store main(db_path.string());
    sql::Connection& db = main.connection();
    sql::Transaction tx(db);
    auto add_sweep = db.prepare(R"sql(
        INSERT INTO sweeps(name, spec_path, spec_text, spec_hash, created, updated) VALUES (?, ?, ?, ?, ?, ?)
        ON CONFLICT(name) DO NOTHING)sql");
    auto sweep_id = db.prepare("SELECT id FROM sweeps WHERE name = ?");
    auto add_job = db.prepare(R"sql(
        INSERT INTO jobs(sweep_id, idx, block, key, model, model_version, params, tags, cost)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sweep_id, key) DO NOTHING)sql");
    auto current = db.prepare(
        "SELECT id, status, coalesce(finished, 0), attempts FROM jobs WHERE sweep_id = ? AND key = ?");
    auto update = db.prepare(R"sql(
        UPDATE jobs SET status = ?, attempts = ?, host = ?, rank = ?, started = ?, finished = ?,
                        wall_seconds = ?, error = ?, payload_path = ?, payload_sha256 = ?,
                        binary_version = ?, build_type = ?
        WHERE id = ?)sql");
    auto clear_metrics = db.prepare("DELETE FROM metrics WHERE job_id = ?");
    auto add_metric = db.prepare("INSERT INTO metrics(job_id, name, value) VALUES (?, ?, ?)");
    std::map<std::string, std::int64_t> sweep_ids;

    for (const fs::path& shard : shards) {
        std::vector<ShardSweep> sweeps;
        std::vector<ShardJob> jobs;
        read_shard(shard, sweeps, jobs);
        ++summary.shards;
        for (const ShardSweep& s : sweeps) {
            add_sweep.bind(1, s.name).bind(2, s.spec_path).bind(3, s.spec_text).bind(4, s.spec_hash)
                .bind(5, s.created).bind(6, s.updated).run();
            add_sweep.reset();
            sweep_id.bind(1, s.name);
            sweep_id.step();
            sweep_ids[s.name] = sweep_id.get_int(0);
            sweep_id.reset();
        }
        for (const ShardJob& j : jobs) {
            const std::int64_t sid = sweep_ids.at(j.sweep);
            add_job.bind(1, sid).bind(2, j.idx).bind(3, j.block).bind(4, j.key).bind(5, j.model)
                .bind(6, j.model_version).bind(7, j.params).bind(8, j.tags).bind(9, j.cost).run();
            add_job.reset();
            current.bind(1, sid).bind(2, j.key);
            current.step();
            const std::int64_t id = current.get_int(0);
            const std::string status = current.get_text(1);
            const double finished = current.get_double(2);
            const int attempts = static_cast<int>(current.get_int(3));
            current.reset();
            if (status == "done" && j.status == "failed") continue;         // never replace a result by a failure
            if (status == j.status && finished == j.finished) continue;     // merged before
            update.bind(1, j.status).bind(2, std::max(attempts, j.attempts)).bind(3, j.host).bind(4, j.rank)
                .bind(5, j.started).bind(6, j.finished).bind(7, j.wall_seconds);
            if (j.has_error) update.bind(8, j.error); else update.bind_null(8);
            if (j.has_payload) update.bind(9, j.payload_path); else update.bind_null(9);
            if (j.payload_sha256.empty()) update.bind_null(10); else update.bind(10, j.payload_sha256);
            update.bind(11, j.binary_version).bind(12, j.build_type).bind(13, id).run();
            update.reset();
            clear_metrics.bind(1, id).run();
            clear_metrics.reset();
            for (const auto& [name, value] : j.metrics) {
                add_metric.bind(1, id).bind(2, name).bind(3, value).run();
                add_metric.reset();
            }
            ++summary.jobs;
            (j.status == "done" ? summary.done : summary.failed) += 1;
        }
    }
    tx.commit();
    return summary;
}

}  // namespace sr::slurm
