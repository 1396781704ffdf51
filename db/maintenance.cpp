#include "db/maintenance.hpp"

#include "core/sha256.hpp"

#include <filesystem>
#include <stdexcept>

namespace sr {
namespace fs = std::filesystem;

namespace {

// "AND s.name = ?" when one sweep is meant; the statement binds it as parameter 1.
std::string sweep_filter(const std::string& sweep) { return sweep.empty() ? " AND ?1 = ''" : " AND s.name = ?1"; }

}  // namespace

VerifyReport verify_payloads(Store& store, const std::string& sweep) {
    auto& db = store.connection();
    auto select = db.prepare(
        "SELECT j.id, j.key, j.payload_path, coalesce(j.payload_sha256, '') FROM jobs j "
        "JOIN sweeps s ON s.id = j.sweep_id WHERE j.status = 'done' AND j.retired = 0 AND j.payload_path IS NOT NULL" +
        sweep_filter(sweep));
    select.bind(1, sweep);
    struct Bad {
        std::int64_t id;
        std::string key, reason;
    };
    std::vector<Bad> bad;
    VerifyReport report;
    while (select.step()) {
        ++report.checked;
        const std::string path = store.resolve_path(select.get_text(2));
        std::error_code ec;
        if (!fs::exists(path, ec)) {
            ++report.missing;
            bad.push_back({select.get_int(0), select.get_text(1), "verify: payload missing: " + path});
        } else if (sha256_file(path) != select.get_text(3)) {
            ++report.corrupt;
            bad.push_back({select.get_int(0), select.get_text(1), "verify: payload checksum differs: " + path});
        }
    }
    sql::Transaction tx(db);
    auto reset = db.prepare(
        "UPDATE jobs SET status = 'pending', error = ?, payload_path = NULL, payload_sha256 = NULL WHERE id = ?");
    auto clear = db.prepare("DELETE FROM metrics WHERE job_id = ?");
    for (const Bad& b : bad) {
        reset.bind(1, b.reason).bind(2, b.id).run();
        reset.reset();
        clear.bind(1, b.id).run();
        clear.reset();
        report.reset_keys.push_back(b.key);
    }
    tx.commit();
    return report;
}

std::int64_t reset_jobs(Store& store, const std::string& sweep, const std::vector<std::string>& keys) {
    auto& db = store.connection();
    const auto sweep_id = store.find_sweep(sweep);
    if (!sweep_id) throw std::invalid_argument("no sweep named '" + sweep + "' in " + db.path());
    sql::Transaction tx(db);
    auto reset = db.prepare(
        "UPDATE jobs SET status = 'pending', error = NULL, payload_path = NULL, payload_sha256 = NULL "
        "WHERE sweep_id = ? AND key = ? RETURNING id");
    auto clear = db.prepare("DELETE FROM metrics WHERE job_id = ?");
    std::int64_t changed = 0;
    for (const std::string& key : keys) {
        reset.bind(1, *sweep_id).bind(2, key);
        while (reset.step()) {
            ++changed;
            clear.bind(1, reset.get_int(0)).run();
            clear.reset();
        }
        reset.reset();
    }
    tx.commit();
    return changed;
}

GcReport collect_garbage(Store& store, const std::string& sweep) {
    auto& db = store.connection();
    auto select = db.prepare(
        "SELECT j.id, j.payload_path FROM jobs j JOIN sweeps s ON s.id = j.sweep_id "
        "WHERE j.retired = 1 AND j.payload_path IS NOT NULL" + sweep_filter(sweep));
    select.bind(1, sweep);
    GcReport report;
    std::vector<std::int64_t> forgotten;
    while (select.step()) {
        const fs::path payload = store.resolve_path(select.get_text(1));
        std::error_code ec;
        const std::uintmax_t size = fs::file_size(payload, ec);
        if (!ec && fs::remove(payload, ec)) {
            ++report.payloads;
            report.bytes += size;
        }
        // The job's own folder (exec jobs' logs and outputs) sits next to its payload.
        const fs::path folder = fs::path(payload).replace_extension();
        if (fs::is_directory(folder, ec)) {
            for (const auto& entry : fs::recursive_directory_iterator(folder, ec)) {
                if (entry.is_regular_file(ec)) report.bytes += entry.file_size(ec);
            }
            if (fs::remove_all(folder, ec) > 0) ++report.folders;
        }
        forgotten.push_back(select.get_int(0));
    }
    sql::Transaction tx(db);
    auto forget = db.prepare("UPDATE jobs SET payload_path = NULL, payload_sha256 = NULL WHERE id = ?");
    for (const std::int64_t id : forgotten) {
        forget.bind(1, id).run();
        forget.reset();
    }
    tx.commit();
    return report;
}

}  // namespace sr
