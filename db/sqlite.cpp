#include "db/sqlite.hpp"

#include <unistd.h>

#include <filesystem>

namespace sr::sql {
namespace {

[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    throw Error(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : "out of memory"));
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
    const auto open = [&](const std::string& name, int open_flags) {
        if (sqlite3_open_v2(name.c_str(), &db_, open_flags, nullptr) != SQLITE_OK) {
            std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
            sqlite3_close(db_);
            db_ = nullptr;
            throw Error(path + ": cannot open database: " + message);
        }
    };
    open(path, flags);
    // A WAL database in a folder this process may not write (archived results, a colleague's
    // folder) cannot be read normally: the reader has to create its -shm file. When no -wal file
    // holds changes beyond the database file (no runner is writing it, none crashed mid-run), the
    // file is complete and is read as immutable instead.
    const auto probe = [&] { return sqlite3_exec(db_, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) & 0xff; };
    if (read_only && (probe() == SQLITE_CANTOPEN || probe() == SQLITE_READONLY)) {
        const std::filesystem::path folder = std::filesystem::absolute(path).parent_path();
        std::error_code ec;
        const auto wal_size = std::filesystem::file_size(path + "-wal", ec);
        if (::access(folder.c_str(), W_OK) != 0 && (ec || wal_size == 0)) {
            sqlite3_close(db_);
            db_ = nullptr;
            open(immutable_uri(path), flags | SQLITE_OPEN_URI);
        }
    }
    // Readers and the single writer wait for each other briefly instead of failing.
    sqlite3_busy_timeout(db_, 30000);
    sqlite3_extended_result_codes(db_, 1);
}

Connection::~Connection() { sqlite3_close_v2(db_); }

void Connection::exec(std::string_view sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, std::string(sql).c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        throw Error(path_ + ": " + text);
    }
}

Statement Connection::prepare(std::string_view sql) { return Statement(db_, sql); }

std::int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }

int Connection::changes() const { return sqlite3_changes(db_); }

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
        fail(db, "prepare");
    }
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
    other.stmt_ = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
    if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

Statement& Statement::bind(int index, double value) {
    if (sqlite3_bind_double(stmt_, index, value) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
    if (sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()),
                          SQLITE_TRANSIENT) != SQLITE_OK) {
        fail(db_, "bind");
    }
    return *this;
}

Statement& Statement::bind_null(int index) {
    if (sqlite3_bind_null(stmt_, index) != SQLITE_OK) fail(db_, "bind");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, "step");
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

int Statement::column_count() const { return sqlite3_column_count(stmt_); }
bool Statement::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
std::int64_t Statement::get_int(int col) const { return sqlite3_column_int64(stmt_, col); }
double Statement::get_double(int col) const { return sqlite3_column_double(stmt_, col); }
int Statement::column_type(int col) const { return sqlite3_column_type(stmt_, col); }

std::string Statement::get_text(int col) const {
    const auto* text = sqlite3_column_text(stmt_, col);
    return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
}

std::string Statement::column_name(int col) const { return sqlite3_column_name(stmt_, col); }

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
