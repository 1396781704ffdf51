#pragma once
// The project's SQLite vocabulary over SQLiteCpp: errors as sql::Error naming what failed,
// text bound from string_views, the index's open rules (no per-call mutex, busy timeout,
// extended codes, read-only archives opened immutable). Every value from outside reaches SQL only
// through bind().
#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace sr::sql {

struct Error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Statement;

class Connection {
public:
    // Opens (creating if allowed) a database file; throws Error naming the path.
    Connection(const std::string& path, bool create, bool read_only = false);

    void exec(std::string_view sql);
    Statement prepare(std::string_view sql);
    std::int64_t last_insert_rowid() const;
    int changes() const;
    sqlite3* handle() { return db_->getHandle(); }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::unique_ptr<SQLite::Database> db_;  // replaced once when a read-only archive is reopened immutable
};

class Statement {
public:
    Statement(const SQLite::Database& db, std::string_view sql);

    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
    Statement& bind(int index, double value);
    Statement& bind(int index, std::string_view value);
    Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    Statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }
    Statement& bind_null(int index);

    // True while a row is available.
    bool step();
    void run() { while (step()) {} }  // for statements without result rows
    void reset();

    int column_count() const;
    bool is_null(int col) const;
    std::int64_t get_int(int col) const;
    double get_double(int col) const;
    std::string get_text(int col) const;
    std::string column_name(int col) const;
    int column_type(int col) const;

private:
    SQLite::Statement stmt_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back if destroyed before commit().
class Transaction {
public:
    explicit Transaction(Connection& db);
    ~Transaction();
    void commit();

private:
    Connection& db_;
    bool open_ = true;
};

}  // namespace sr::sql
