#include "db/sqlite.hpp"

#include <unistd.h>

#include <filesystem>

namespace sr::sql {
namespace {

// Runs one SQLiteCpp call; its exception becomes an Error saying what failed ("step: ...").
template <typename Call>
decltype(auto) checked(std::string_view what, Call&& call) {
    try {
        return call();
    } catch (const SQLite::Exception& e) {
        throw Error(std::string(what) + ": " + e.what());
    }
}

// "file:<path>?immutable=1" with the characters a URI path cannot hold escaped.
std::string immutable_uri(const std::string& path) {
    std::string uri = "file:";
    for (const char c : path) {
        if (c == '%' || c == '?' || c == '#') {
            static const char hex[] = "0123456789ABCDEF";
            uri += '%';
            uri += hex[static_cast<unsigned char>(c) >> 4];
            uri += hex[static_cast<unsigned char>(c) & 15];
        } else {
            uri += c;
        }
    }
    return uri + "?immutable=1";
}

}  // namespace

Connection::Connection(const std::string& path, bool create, bool read_only) : path_(path) {
    int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    if (create && !read_only) flags |= SQLITE_OPEN_CREATE;
    // A connection is only ever used by one thread at a time, so SQLite's own locking of every
    // call (a few percent of a commit) is not needed.
    flags |= SQLITE_OPEN_NOMUTEX;
    // Readers and the single writer wait for each other briefly instead of failing.
    constexpr int busy_timeout_ms = 30000;
    const auto open = [&](const std::string& name, int open_flags) {
        try {
            db_ = std::make_unique<SQLite::Database>(name, open_flags, busy_timeout_ms);
        } catch (const SQLite::Exception& e) {
            throw Error(path + ": cannot open database: " + e.what());
        }
    };
    open(path, flags);
    // A WAL database in a folder this process may not write (archived results, a colleague's
    // folder) cannot be read normally: the reader has to create its -shm file. When no -wal file
    // holds changes beyond the database file (no runner is writing it, none crashed mid-run), the
    // file is complete and is read as immutable instead.
    const auto probe = [&] { return db_->tryExec("SELECT count(*) FROM sqlite_master") & 0xff; };
    if (read_only && (probe() == SQLITE_CANTOPEN || probe() == SQLITE_READONLY)) {
        const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
        std::error_code ec;
        const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
        if (::access(folder.c_str(), W_OK) != 0 && (ec || wal_size == 0)) {
            db_.reset();
            open(immutable_uri(path), flags | SQLITE_OPEN_URI);
        }
    }
    sqlite3_extended_result_codes(db_->getHandle(), 1);
}

void Connection::exec(std::string_view sql) {
    try {
        db_->exec(std::string(sql));
    } catch (const SQLite::Exception& e) {
        throw Error(path_ + ": " + e.what());
    }
}

Statement Connection::prepare(std::string_view sql) { return Statement(*db_, sql); }

std::int64_t Connection::last_insert_rowid() const { return db_->getLastInsertRowid(); }

int Connection::changes() const { return db_->getChanges(); }

Statement::Statement(const SQLite::Database& db, std::string_view sql)
    : stmt_(checked("prepare", [&] { return SQLite::Statement(db, std::string(sql)); })) {}

Statement& Statement::bind(int index, std::int64_t value) {
    checked("bind", [&] { stmt_.bind(index, static_cast<std::int64_t>(value)); });
    return *this;
}

Statement& Statement::bind(int index, double value) {
    checked("bind", [&] { stmt_.bind(index, value); });
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    // SQLiteCpp binds text from a std::string or a NUL-terminated pointer only.
    checked("bind", [&] { stmt_.bind(index, std::string(value)); });
    return *this;
}

Statement& Statement::bind_null(int index) {
    checked("bind", [&] { stmt_.bind(index); });
    return *this;
}

bool Statement::step() { return checked("step", [&] { return stmt_.executeStep(); }); }

void Statement::reset() {
    // After a failed step SQLite's reset repeats that step's error; the statement is reset all the same.
    stmt_.tryReset();
    stmt_.clearBindings();
}

int Statement::column_count() const { return stmt_.getColumnCount(); }
bool Statement::is_null(int col) const { return stmt_.isColumnNull(col); }
std::int64_t Statement::get_int(int col) const { return stmt_.getColumn(col).getInt64(); }
double Statement::get_double(int col) const { return stmt_.getColumn(col).getDouble(); }
int Statement::column_type(int col) const { return stmt_.getColumn(col).getType(); }
std::string Statement::get_text(int col) const { return stmt_.getColumn(col).getString(); }
std::string Statement::column_name(int col) const { return stmt_.getColumnName(col); }

Transaction::Transaction(Connection& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }

Transaction::~Transaction() {
    if (open_) {
        try {
            db_.exec("ROLLBACK");
        } catch (...) {
            // Nothing more to do: SQLite rolls back an unfinished transaction on close anyway.
        }
    }
}

void Transaction::commit() {
    db_.exec("COMMIT");
    open_ = false;
}

}  // namespace sr::sql
