#include "db/store.hpp"

#include "core/sha256.hpp"

#include <unistd.h>

#include <filesystem>
#include <unordered_map>

namespace sr {
namespace fs = std::filesystem;
namespace {

// Migration i brings the schema from version i to i + 1. Never edit a shipped entry; append.
const char* const migrations[] = {
    R"sql(
CREATE TABLE sweeps (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    spec_path TEXT NOT NULL,
    spec_text TEXT NOT NULL,
    spec_hash TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL
);
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    idx INTEGER NOT NULL,
    block TEXT NOT NULL DEFAULT '',
    key TEXT NOT NULL,
    model TEXT NOT NULL,
    model_version INTEGER NOT NULL,
    params TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '{}',
    cost REAL NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'done', 'failed')),
    retired INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    host TEXT,
    rank INTEGER,
    started REAL,
    finished REAL,
    wall_seconds REAL,
    error TEXT,
    payload_path TEXT,
    payload_sha256 TEXT,
    binary_version TEXT,
    build_type TEXT,
    UNIQUE (sweep_id, key)
);
CREATE INDEX jobs_by_status ON jobs(sweep_id, status);
CREATE TABLE metrics (
    job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    value REAL,
    PRIMARY KEY (job_id, name)
) WITHOUT ROWID;
CREATE TABLE submissions (
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    scheduler_job_id TEXT NOT NULL,
    submitted REAL NOT NULL,
    PRIMARY KEY (sweep_id, scheduler_job_id)
);
)sql",
    // 2: payload paths relative to the index's folder, so that the results folder can be moved or
    // copied (rsync from a cluster). Rewriting the existing rows needs the folder: it is done in C++
    // by make_payload_paths_relative(), right after this (empty) step.
    "",
    // 3: every version of a sweep's text, with the git state of its file, and when it was run;
    // an index from before starts with the one version it knows.
    R"sql(
CREATE TABLE IF NOT EXISTS sweep_versions (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    spec_hash TEXT NOT NULL,
    spec_text TEXT NOT NULL,
    spec_path TEXT NOT NULL,
    git_commit TEXT,
    git_dirty INTEGER,
    first_registered REAL NOT NULL,
    last_registered REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS sweep_versions_by_sweep ON sweep_versions(sweep_id, spec_hash);
INSERT INTO sweep_versions(sweep_id, spec_hash, spec_text, spec_path, first_registered, last_registered)
    SELECT id, spec_hash, spec_text, spec_path, created, updated FROM sweeps
    WHERE id NOT IN (SELECT sweep_id FROM sweep_versions);
)sql",
    // 4: one row per `run` of a sweep: when it began and ended (NULL: still going, or killed), where.
    R"sql(
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    sweep_id INTEGER NOT NULL REFERENCES sweeps(id),
    started REAL NOT NULL,
    ended REAL,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    binary_version TEXT NOT NULL
);
)sql",
};

constexpr int migration_count = sizeof migrations / sizeof migrations[0];
static_assert(migration_count == Store::schema_version);

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Within its scope, this connection writes without checking the CHECK constraints and foreign
// keys. SQLite checks `status IN (...)` and the metrics' foreign key by building a temporary
// b-tree for every row it writes, which was about two thirds of the cost of registering a job and
// of committing its outcome. The writes made in such a scope need neither check: statuses come
// from the Outcome enum, and job ids from the index itself. Set outside any transaction, since
// SQLite ignores a change of foreign_keys inside one. (Changing these pragmas expires prepared
// statements; SQLite recompiles them on their next step, once per batch.)
class UncheckedWrites {
public:
    explicit UncheckedWrites(sql::Connection& db) : db_(db) {
        db_.exec("PRAGMA ignore_check_constraints=ON; PRAGMA foreign_keys=OFF");
    }
    ~UncheckedWrites() {
        try {
            db_.exec("PRAGMA ignore_check_constraints=OFF; PRAGMA foreign_keys=ON");
        } catch (const sql::Error&) {  // only fails when the connection is unusable anyway
        }
    }
    UncheckedWrites(const UncheckedWrites&) = delete;
    UncheckedWrites& operator=(const UncheckedWrites&) = delete;

private:
    sql::Connection& db_;
};

}  // namespace

std::string_view to_string(JobStatus status) {
    switch (status) {
        case JobStatus::pending: return "pending";
        case JobStatus::running: return "running";
        case JobStatus::done: return "done";
        case JobStatus::failed: return "failed";
    }
    return "?";
}

JobStatus job_status_from(std::string_view text) {
    if (text == "running") return JobStatus::running;
    if (text == "done") return JobStatus::done;
    if (text == "failed") return JobStatus::failed;
    return JobStatus::pending;
}

Store::Store(const std::string& path, bool read_only)
    : db_(path, true, read_only), folder_(fs::absolute(path).lexically_normal().parent_path()) {
    if (read_only) return;
    db_.exec("PRAGMA journal_mode=WAL");
    // A reader holding a transaction open (a notebook iterating over a cursor) keeps the WAL from
    // being reset, so it grows for as long; once the reader lets go, the next checkpoint resets it
    // and this truncates the file back to 64 MiB instead of leaving it at its largest size.
    db_.exec("PRAGMA journal_size_limit=67108864");
    // FULL: a committed `done` survives power loss, not only a crash of this process.
    db_.exec("PRAGMA synchronous=FULL");
    db_.exec("PRAGMA foreign_keys=ON");
    // 64 MiB page cache instead of the default 2 MB: job keys are random SHA-256 text, so inserts
    // into and lookups in the (sweep_id, key) index touch pages all over it, and with the small
    // cache a registration of a million jobs spends most of its time evicting and rereading them.
    db_.exec("PRAGMA cache_size=-65536");
    migrate();
}

struct Store::CommitStatements {
    explicit CommitStatements(sql::Connection& db)
        : find(db.prepare("SELECT id FROM jobs WHERE sweep_id = ? AND key = ?")),
          start(db.prepare(R"sql(
              UPDATE jobs SET status = 'running', attempts = attempts + 1, host = ?, rank = ?,
                              started = ?, finished = NULL, wall_seconds = NULL
              WHERE id = ?)sql")),
          finish(db.prepare(R"sql(
              UPDATE jobs SET status = ?, host = ?, rank = ?, started = ?, finished = ?,
                              wall_seconds = ?, error = ?, payload_path = ?, payload_sha256 = ?,
                              binary_version = ?, build_type = ?, attempts = attempts + ?
              WHERE id = ?)sql")),
          clear_metrics(db.prepare("DELETE FROM metrics WHERE job_id = ?")),
          add_metric(db.prepare("INSERT INTO metrics(job_id, name, value) VALUES (?, ?, ?)")) {}
    sql::Statement find, start, finish, clear_metrics, add_metric;
};

Store::~Store() = default;

Store::CommitStatements& Store::commit_statements() {
    if (!commit_statements_) commit_statements_ = std::make_unique<CommitStatements>(db_);
    return *commit_statements_;
}

void Store::migrate() {
    sql::Transaction tx(db_);
    auto version_stmt = db_.prepare("PRAGMA user_version");
    version_stmt.step();
    const int version = static_cast<int>(version_stmt.get_int(0));
    if (version > schema_version) {
        throw sql::Error(db_.path() + ": database schema version " + std::to_string(version) +
                         " is newer than this binary's " + std::to_string(schema_version));
    }
    for (int v = version; v < schema_version; ++v) {
        db_.exec(migrations[v]);
        if (v == 1) make_payload_paths_relative();
    }
    if (version != schema_version) {
        db_.exec("PRAGMA user_version=" + std::to_string(schema_version));
    }
    tx.commit();
}

std::string Store::stored_path(const std::string& path) const {
    if (path.empty()) return path;
    return fs::absolute(path).lexically_normal().lexically_relative(folder_).string();
}

std::string Store::resolve_path(const std::string& stored) const {
    if (stored.empty()) return stored;
    return (folder_ / stored).lexically_normal().string();  // an absolute `stored` stays as it is
}

// Rows written before schema 2 hold absolute paths. Under the index's folder they become relative;
// a path elsewhere that no longer exists, but whose OUT/<sweep>/<xx>/<key>.h5 tail does next to
// the index, was moved along with the index (the default layout, OUT = the index's folder).
void Store::make_payload_paths_relative() {
    auto select = db_.prepare("SELECT id, payload_path FROM jobs WHERE payload_path LIKE '/%'");
    auto update = db_.prepare("UPDATE jobs SET payload_path = ? WHERE id = ?");
    std::vector<std::pair<std::int64_t, std::string>> rewrites;
    while (select.step()) {
        const fs::path old = fs::path(select.get_text(1)).lexically_normal();
        const fs::path relative = old.lexically_relative(folder_);
        if (!relative.empty() && *relative.begin() != "..") {
            rewrites.emplace_back(select.get_int(0), relative.string());
            continue;
        }
        std::error_code ec;
        if (fs::exists(old, ec)) continue;
        const std::vector<fs::path> parts(old.begin(), old.end());
        if (parts.size() < 4) continue;
        const fs::path tail = parts[parts.size() - 3] / parts[parts.size() - 2] / parts[parts.size() - 1];
        if (fs::exists(folder_ / tail, ec)) rewrites.emplace_back(select.get_int(0), tail.string());
    }
    for (const auto& [id, path] : rewrites) {
        update.bind(1, path).bind(2, id).run();
        update.reset();
    }
}

std::int64_t Store::register_sweep(const std::string& name, const std::string& spec_path,
                                   const std::string& spec_text, const GitState& git) {
    const double now = unix_now();
    const std::string hash = sha256_hex(spec_text);
    sql::Transaction tx(db_);
    db_.prepare(R"sql(
        INSERT INTO sweeps(name, spec_path, spec_text, spec_hash, created, updated)
        VALUES (?1, ?2, ?3, ?4, ?5, ?5)
        ON CONFLICT(name) DO UPDATE SET spec_path = ?2, spec_text = ?3, spec_hash = ?4, updated = ?5)sql")
        .bind(1, name).bind(2, spec_path).bind(3, spec_text).bind(4, hash).bind(5, now)
        .run();
    auto select = db_.prepare("SELECT id FROM sweeps WHERE name = ?");
    select.bind(1, name).step();
    const std::int64_t id = select.get_int(0);
    // The same text from the same commit (and the same dirtiness) is the same version, run again.
    auto version = db_.prepare(R"sql(
        SELECT id FROM sweep_versions
        WHERE sweep_id = ? AND spec_hash = ? AND git_commit IS ? AND git_dirty IS ? ORDER BY id DESC LIMIT 1)sql");
    version.bind(1, id).bind(2, hash);
    if (git.commit) version.bind(3, *git.commit);
    else version.bind_null(3);
    if (git.dirty) version.bind(4, static_cast<std::int64_t>(*git.dirty));
    else version.bind_null(4);
    if (version.step()) {
        db_.prepare("UPDATE sweep_versions SET last_registered = ?, spec_path = ? WHERE id = ?")
            .bind(1, now).bind(2, spec_path).bind(3, version.get_int(0)).run();
    } else {
        auto insert = db_.prepare(R"sql(
            INSERT INTO sweep_versions(sweep_id, spec_hash, spec_text, spec_path, git_commit, git_dirty,
                                       first_registered, last_registered)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7))sql");
        insert.bind(1, id).bind(2, hash).bind(3, spec_text).bind(4, spec_path).bind(7, now);
        if (git.commit) insert.bind(5, *git.commit);
        else insert.bind_null(5);
        if (git.dirty) insert.bind(6, static_cast<std::int64_t>(*git.dirty));
        else insert.bind_null(6);
        insert.run();
    }
    tx.commit();
    return id;
}

std::int64_t Store::register_jobs(std::int64_t sweep_id, const std::vector<PackedJob>& jobs,
                                  std::int64_t* retired_done) {
    const UncheckedWrites unchecked(db_);
    sql::Transaction tx(db_);
    // 2 marks the rows current until now; those the jobs do not bring back are the ones retired here.
    db_.prepare("UPDATE jobs SET retired = CASE retired WHEN 0 THEN 2 ELSE 1 END WHERE sweep_id = ?")
        .bind(1, sweep_id).run();
    auto insert = db_.prepare(R"sql(
        INSERT INTO jobs(sweep_id, idx, block, key, model, model_version, params, tags, cost)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(sweep_id, key) DO UPDATE
            SET retired = 0, idx = excluded.idx, block = excluded.block, tags = excluded.tags,
                cost = excluded.cost)sql");
    std::int64_t before = 0;
    {
        auto count = db_.prepare("SELECT count(*) FROM jobs WHERE sweep_id = ?");
        count.bind(1, sweep_id).step();
        before = count.get_int(0);
    }
    for (const PackedJob& job : jobs) {
        insert.bind(1, sweep_id).bind(2, job.index).bind(3, job.block).bind(4, job.key)
            .bind(5, job.model).bind(6, job.model_version).bind(7, job.params)
            .bind(8, job.tags).bind(9, job.cost);
        insert.run();
        insert.reset();
    }
    auto count = db_.prepare("SELECT count(*) FROM jobs WHERE sweep_id = ?");
    count.bind(1, sweep_id).step();
    const std::int64_t added = count.get_int(0) - before;
    if (retired_done) {
        auto done = db_.prepare("SELECT count(*) FROM jobs WHERE sweep_id = ? AND retired = 2 AND status = 'done'");
        done.bind(1, sweep_id).step();
        *retired_done = done.get_int(0);
    }
    db_.prepare("UPDATE jobs SET retired = 1 WHERE sweep_id = ? AND retired = 2").bind(1, sweep_id).run();
    tx.commit();
    return added;
}

std::int64_t Store::reset_running(std::int64_t sweep_id) {
    sql::Transaction tx(db_);
    db_.prepare("UPDATE jobs SET status = 'pending' WHERE sweep_id = ? AND status = 'running'")
        .bind(1, sweep_id)
        .run();
    const std::int64_t n = db_.changes();
    tx.commit();
    return n;
}

std::map<std::string, JobState> Store::job_states(std::int64_t sweep_id) {
    std::map<std::string, JobState> states;
    for_each_job_state(sweep_id, [&](std::string_view key, const JobState& state) { states.emplace(key, state); });
    return states;
}

void Store::for_each_job_state(std::int64_t sweep_id,
                               const std::function<void(std::string_view key, const JobState& state)>& visit) {
    auto select = db_.prepare("SELECT key, status, attempts, id FROM jobs WHERE sweep_id = ?");
    select.bind(1, sweep_id);
    while (select.step()) {
        visit(select.get_text(0), JobState{job_status_from(select.get_text(1)), static_cast<int>(select.get_int(2)),
                                           select.get_int(3)});
    }
}

void Store::commit(std::int64_t sweep_id, const std::vector<JobStart>& started,
                   const std::vector<JobOutcome>& finished) {
    if (started.empty() && finished.empty()) return;
    const UncheckedWrites unchecked(db_);
    CommitStatements& st = commit_statements();
    // Statements left mid-way by an earlier failed commit must be reset before they are bound.
    for (sql::Statement* s : {&st.find, &st.start, &st.finish, &st.clear_metrics, &st.add_metric}) s->reset();

    // A job that starts and finishes within one batch (the usual case for short jobs) is written
    // once: its finish overwrites every column its start sets, except `attempts`, which the finish
    // update increments for it instead. The result is the same as applying all starts and then all
    // finishes, with one index lookup and row rewrite per job instead of two.
    std::unordered_map<std::string_view, int> starts_to_fold;
    for (const JobOutcome& o : finished) starts_to_fold.emplace(o.key, 0);
    // The job's row: the id the job carried to the worker and back, else found by key (0: not a
    // job of this sweep, nothing to record).
    const auto row = [&](std::int64_t job_id, const std::string& key) -> std::int64_t {
        if (job_id != 0) return job_id;
        st.find.bind(1, sweep_id).bind(2, key);
        const std::int64_t id = st.find.step() ? st.find.get_int(0) : 0;
        st.find.reset();
        return id;
    };
    sql::Transaction tx(db_);
    for (const JobStart& s : started) {
        if (const auto it = starts_to_fold.find(s.key); it != starts_to_fold.end()) {
            ++it->second;
            continue;
        }
        const std::int64_t job_id = row(s.job_id, s.key);
        if (job_id == 0) continue;
        st.start.bind(1, s.host).bind(2, s.rank).bind(3, s.started).bind(4, job_id);
        st.start.run();
        st.start.reset();
    }
    const BuildInfo& build = build_info();
    for (const JobOutcome& o : finished) {
        const std::int64_t job_id = row(o.job_id, o.key);
        if (job_id == 0) continue;
        const bool interrupted = o.outcome == Outcome::interrupted;
        const char* status = o.outcome == Outcome::done ? "done" : interrupted ? "pending" : "failed";
        int& folded = starts_to_fold.at(o.key);
        st.finish.bind(1, status).bind(2, o.host).bind(3, o.rank).bind(4, o.started).bind(5, o.finished)
            .bind(6, o.wall_seconds);
        if (o.error.empty()) st.finish.bind_null(7); else st.finish.bind(7, o.error);
        if (o.payload_path.empty()) st.finish.bind_null(8); else st.finish.bind(8, stored_path(o.payload_path));
        if (o.payload_sha256.empty()) st.finish.bind_null(9); else st.finish.bind(9, o.payload_sha256);
        st.finish.bind(10, build.version).bind(11, build.build_type).bind(12, folded - (interrupted ? 1 : 0))
            .bind(13, job_id);
        folded = 0;  // a second finish of the same job in this batch: its start is already counted
        st.finish.run();
        st.finish.reset();
        st.clear_metrics.bind(1, job_id).run();
        st.clear_metrics.reset();
        for (const auto& [name, value] : o.metrics) {
            st.add_metric.bind(1, job_id).bind(2, name).bind(3, value).run();
            st.add_metric.reset();
        }
    }
    tx.commit();
}

std::int64_t Store::begin_run(std::int64_t sweep_id) {
    sql::Transaction tx(db_);
    db_.prepare("INSERT INTO runs(sweep_id, started, host, pid, binary_version) VALUES (?, ?, ?, ?, ?)")
        .bind(1, sweep_id).bind(2, unix_now()).bind(3, hostname()).bind(4, static_cast<std::int64_t>(::getpid()))
        .bind(5, build_info().version).run();
    const std::int64_t id = db_.last_insert_rowid();
    tx.commit();
    return id;
}

void Store::end_run(std::int64_t run_id) {
    sql::Transaction tx(db_);
    db_.prepare("UPDATE runs SET ended = ? WHERE id = ?").bind(1, unix_now()).bind(2, run_id).run();
    tx.commit();
}

std::optional<double> Store::current_run_started(std::int64_t sweep_id) {
    // A reader does not migrate: an index last written by an older binary has no runs table.
    auto table = db_.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'runs'");
    if (!table.step() || table.get_int(0) == 0) return std::nullopt;
    auto select = db_.prepare("SELECT started FROM runs WHERE sweep_id = ? AND ended IS NULL ORDER BY id DESC LIMIT 1");
    select.bind(1, sweep_id);
    if (!select.step()) return std::nullopt;
    return select.get_double(0);
}

void Store::record_submission(std::int64_t sweep_id, const std::string& scheduler_job_id) {
    sql::Transaction tx(db_);
    db_.prepare("INSERT OR IGNORE INTO submissions(sweep_id, scheduler_job_id, submitted) VALUES (?, ?, ?)")
        .bind(1, sweep_id).bind(2, scheduler_job_id).bind(3, unix_now()).run();
    tx.commit();
}

std::optional<std::int64_t> Store::find_sweep(const std::string& name) {
    auto select = db_.prepare("SELECT id FROM sweeps WHERE name = ?");
    select.bind(1, name);
    if (!select.step()) return std::nullopt;
    return select.get_int(0);
}

std::vector<SweepCounts> Store::counts() {
    std::vector<SweepCounts> out;
    auto sweeps = db_.prepare("SELECT id, name FROM sweeps ORDER BY name");
    auto counts = db_.prepare(R"sql(
        SELECT retired, status, count(*) FROM jobs WHERE sweep_id = ? GROUP BY retired, status)sql");
    auto failures = db_.prepare(R"sql(
        SELECT key, coalesce(error, '') FROM jobs
        WHERE sweep_id = ? AND status = 'failed' AND retired = 0 ORDER BY idx LIMIT 20)sql");
    auto submissions = db_.prepare(
        "SELECT scheduler_job_id FROM submissions WHERE sweep_id = ? ORDER BY submitted");
    while (sweeps.step()) {
        SweepCounts c;
        const std::int64_t id = sweeps.get_int(0);
        c.name = sweeps.get_text(1);
        counts.bind(1, id);
        while (counts.step()) {
            const std::int64_t n = counts.get_int(2);
            if (counts.get_int(0) != 0) {
                c.retired += n;
                continue;
            }
            switch (job_status_from(counts.get_text(1))) {
                case JobStatus::pending: c.pending += n; break;
                case JobStatus::running: c.running += n; break;
                case JobStatus::done: c.done += n; break;
                case JobStatus::failed: c.failed += n; break;
            }
        }
        counts.reset();
        failures.bind(1, id);
        while (failures.step()) c.failures.emplace_back(failures.get_text(0), first_line(failures.get_text(1)));
        failures.reset();
        submissions.bind(1, id);
        while (submissions.step()) c.submissions.push_back(submissions.get_text(0));
        submissions.reset();
        out.push_back(std::move(c));
    }
    return out;
}

}  // namespace sr
