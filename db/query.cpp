#include "db/query.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>
#include <stdexcept>
#include <unordered_map>
#include <variant>

namespace sr {
namespace {

// Job fields as columns and the SQL that reads them from the jobs row j.
const std::map<std::string, std::string> job_fields = {
    {"index", "j.idx"},         {"key", "j.key"},           {"status", "j.status"},
    {"block", "j.block"},       {"model", "j.model"},       {"cost", "j.cost"},
    {"attempts", "j.attempts"}, {"host", "j.host"},         {"rank", "j.rank"},
    {"started", "j.started"},   {"finished", "j.finished"}, {"wall_seconds", "j.wall_seconds"},
    {"error", "j.error"},       {"payload_path", "j.payload_path"}};

// Nested objects to dotted columns. Not nlohmann's flatten(): it splits arrays into /a/0, /a/1,
// while a list parameter (inputs.experiments: [0, 1, 2]) is one column.
void flatten(const Json& node, const std::string& prefix, std::map<std::string, Json>& out) {
    if (node.is_object()) {
        for (const auto& [k, v] : node.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    } else {
        out[prefix] = node;
    }
}

std::string quote_identifier(const std::string& name) {
    std::string out = "\"";
    for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    return out + "\"";
}

// A JSON path for json_extract with every segment quoted: $."group"."label".
std::string json_path(const std::string& dotted) {
    std::string path = "$";
    std::size_t start = 0;
    while (true) {
        const auto dot = dotted.find('.', start);
        path += ".\"" + dotted.substr(start, dot - start) + "\"";
        if (dot == std::string::npos) return path;
        start = dot + 1;
    }
}

std::string nonfinite_text(double v) { return std::isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"; }

bool is_nonfinite(const Json& value) { return value.is_number_float() && !std::isfinite(value.get<double>()); }

std::string csv_cell(const Json& value) {
    if (value.is_null()) return "";
    if (is_nonfinite(value)) return nonfinite_text(value.get<double>());
    std::string text = value.is_string() ? value.get<std::string>() : value.dump();
    if (text.find_first_of(",\"\n") != std::string::npos) {
        std::string quoted = "\"";
        for (char c : text) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
        return quoted + "\"";
    }
    return text;
}

std::string table_cell(const Json& value) {
    if (value.is_null()) return "-";
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_float()) {
        if (is_nonfinite(value)) return nonfinite_text(value.get<double>());
        return fmt::format("{:.6g}", value.get<double>());
    }
    return value.dump();
}

// Terminal columns a UTF-8 text takes, as {fmt} counts them when it pads (East Asian wide characters
// and emoji take two). fmt has no public width function; the padding it adds to reach text.size()
// columns tells it (a text never takes more columns than bytes).
std::size_t display_width(std::string_view text) {
    return 2 * text.size() - fmt::formatted_size("{:>{}}", text, text.size());
}

struct ColumnSql {
    std::string sql;                // one '?' per bound text
    std::vector<std::string> bind;  // parameter path, tag or metric name
};

// The columns of one sweep and the SQL reading each from the jobs row j.
struct Catalogue {
    std::map<std::string, ColumnSql> sql_columns;
    std::map<std::string, std::set<std::string>> param_values;  // to find the varying parameters
    std::set<std::string> tag_names;
    std::map<std::string, std::string> metric_columns;  // column -> metric name
    bool known(const std::string& c) const { return sql_columns.count(c) != 0; }
};

Catalogue catalogue(sql::Connection& db, std::int64_t sweep_id) {
    Catalogue cat;
    for (const auto& [name, sql] : job_fields) cat.sql_columns[name] = {sql, {}};
    // Parameter paths and tag names over the whole sweep (not only the rows a filter keeps), so that
    // the varying-parameter columns do not depend on --where and a misspelled column is an error
    // instead of an empty result.
    auto all = db.prepare("SELECT params, tags FROM jobs WHERE sweep_id = ? AND retired = 0");
    all.bind(1, sweep_id);
    while (all.step()) {
        std::map<std::string, Json> flat;
        flatten(Json::parse(all.get_text(0)), "", flat);
        for (const auto& [k, v] : flat) cat.param_values[k].insert(v.dump());
        const Json tags = Json::parse(all.get_text(1));  // named: items() would not keep a temporary alive
        for (const auto& [k, v] : tags.items()) cat.tag_names.insert(k);
    }
    for (const auto& [name, values] : cat.param_values) {
        cat.sql_columns[name] = {"json_extract(j.params, ?)", {json_path(name)}};
    }
    for (const std::string& t : cat.tag_names) cat.sql_columns["tag." + t] = {"json_extract(j.tags, ?)", {json_path(t)}};
    // A metric named like a parameter or a job field is the column <name>_metric, so that every
    // column means one thing (the same rule as tools/sweep_index.py).
    auto names = db.prepare(
        "SELECT DISTINCT m.name FROM metrics m JOIN jobs j ON j.id = m.job_id WHERE j.sweep_id = ?");
    names.bind(1, sweep_id);
    while (names.step()) {
        const std::string m = names.get_text(0);
        const bool clash = cat.param_values.count(m) || job_fields.count(m) || m.rfind("tag.", 0) == 0;
        const std::string column = clash ? m + "_metric" : m;
        cat.metric_columns.emplace(column, m);
        cat.sql_columns[column] = {"(SELECT m.value FROM metrics m WHERE m.job_id = j.id AND m.name = ?)", {m}};
    }
    return cat;
}

// Reads only: the --where expression may select, read columns and call functions, nothing else.
int read_only_authorizer(void*, int action, const char*, const char*, const char*, const char*) {
    switch (action) {
        case SQLITE_SELECT:
        case SQLITE_READ:
        case SQLITE_FUNCTION: return SQLITE_OK;
        default: return SQLITE_DENY;
    }
}

using Bound = std::variant<double, std::int64_t, std::string>;

// The --where text as SQL over the catalogue's quoted column names, every literal replaced by a bound
// parameter numbered from first_parameter. Only a lexer: SQLite parses the expression.
struct Translated {
    std::string sql;
    std::vector<Bound> values;
    std::vector<std::string> literals;  // each value as the user wrote it (for error messages)
};

Translated translate_where(const std::string& text, const Catalogue& cat, int first_parameter) {
    static const std::set<std::string> keywords = {"and", "or", "not", "in", "is", "null", "between",
                                                   "like", "glob", "true", "false"};
    static const std::set<std::string> comparisons = {"=", "==", "!=", "<>", "<", "<=", ">", ">="};
    static const std::vector<std::string> operators = {"==", "!=", "<>", "<=", ">=", "=", "<", ">",
                                                       "(", ")", ",", "+", "-", "*", "/", "%"};
    const auto fail = [&](const std::string& why) { throw std::invalid_argument("--where: " + why); };
    Translated out;
    std::string previous;  // the previous token: a keyword, an operator, "name", "'" (text) or "0"
    int depth = 0, in_list_depth = 0;
    bool after_in = false;
    std::size_t i = 0;
    const auto parameter = [&](Bound value, std::size_t from, std::size_t to) {
        out.values.push_back(std::move(value));
        out.literals.push_back(text.substr(from, to - from));
        out.sql += " ?" + std::to_string(first_parameter - 1 + static_cast<int>(out.values.size())) + " ";
    };
    while (i < text.size()) {
        const char c = text[i];
        std::string token;
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c == '\'' || c == '"') {  // text; a doubled quote inside stands for one
            std::string value;
            std::size_t j = i + 1;
            while (true) {
                if (j >= text.size()) fail("unterminated text starting at " + text.substr(i));
                if (text[j] == c && j + 1 < text.size() && text[j + 1] == c) {
                    value += c;
                    j += 2;
                } else if (text[j] == c) {
                    break;
                } else {
                    value += text[j++];
                }
            }
            parameter(value, i, j + 1);
            token = "'";
            i = j + 1;
        } else if (std::isdigit(static_cast<unsigned char>(c)) ||
                   (c == '.' && i + 1 < text.size() && std::isdigit(static_cast<unsigned char>(text[i + 1])))) {
            std::size_t j = i + 1;
            while (j < text.size() && (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '.' ||
                                       ((text[j] == '+' || text[j] == '-') && (text[j - 1] == 'e' || text[j - 1] == 'E')))) {
                ++j;
            }
            const std::string number = text.substr(i, j - i);
            const char* const end = number.data() + number.size();
            std::int64_t integer = 0;
            double real = 0;
            if (const auto r = std::from_chars(number.data(), end, integer); r.ec == std::errc() && r.ptr == end) {
                parameter(integer, i, j);
            } else if (const auto d = std::from_chars(number.data(), end, real); d.ec == std::errc() && d.ptr == end) {
                parameter(real, i, j);
            } else {
                fail("not a number: " + number);
            }
            token = "0";
            i = j;
        } else if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
            std::size_t j = i;
            while (j < text.size() &&
                   (std::isalnum(static_cast<unsigned char>(text[j])) || text[j] == '_' || text[j] == '.')) {
                ++j;
            }
            const std::string word = text.substr(i, j - i);
            std::string lower = word;
            std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
            if (cat.known(word)) {
                out.sql += " " + quote_identifier(word) + " ";
                token = "name";
            } else if (keywords.count(lower)) {
                out.sql += " " + lower + " ";
                token = lower;
            } else if (lower == "inf" || lower == "nan") {
                parameter(lower == "inf" ? std::numeric_limits<double>::infinity()
                                         : std::numeric_limits<double>::quiet_NaN(),
                          i, j);
                token = "0";
            } else if (comparisons.count(previous) || in_list_depth > 0) {
                parameter(word, i, j);  // status=failed, tag.sal=on, mode in (ok, slow)
                token = "'";
            } else {
                fail("unknown column '" + word + "'");
            }
            i = j;
        } else {
            for (const std::string& op : operators) {
                if (text.compare(i, op.size(), op) == 0) {
                    token = op;
                    break;
                }
            }
            if (token.empty()) fail("unexpected '" + std::string(1, c) + "' at position " + std::to_string(i + 1));
            if (token == "(") {
                ++depth;
                if (after_in) in_list_depth = depth;
            } else if (token == ")") {
                // Balanced here, the expression cannot close the query it is embedded in.
                if (depth == 0) fail("')' without '(' at position " + std::to_string(i + 1));
                if (depth == in_list_depth) in_list_depth = 0;
                --depth;
            }
            out.sql += " " + (token == "==" ? std::string("=") : token) + " ";  // spaced: "= =" is not "=="
            i += token.size();
        }
        after_in = token == "in";
        previous = token;
    }
    if (depth > 0) fail("'(' without ')'");
    return out;
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

// Null last, numbers (and booleans) before text, then by value.
bool value_less(const Json& a, const Json& b) {
    const auto rank = [](const Json& v) { return v.is_null() ? 2 : v.is_string() ? 1 : 0; };
    if (rank(a) != rank(b)) return rank(a) < rank(b);
    if (a.is_null()) return false;
    if (a.is_string()) return a.get<std::string>() < b.get<std::string>();
    const auto number = [](const Json& v) { return v.is_boolean() ? (v.get<bool>() ? 1.0 : 0.0) : v.get<double>(); };
    return number(a) < number(b);
}

using Row = std::map<std::string, Json>;

Json aggregate(const std::string& function, std::vector<double> values) {
    if (function == "count") return static_cast<std::int64_t>(values.size());
    if (values.empty()) return nullptr;
    if (function == "min") return *std::min_element(values.begin(), values.end());
    if (function == "max") return *std::max_element(values.begin(), values.end());
    double sum = 0;
    for (double v : values) sum += v;
    const double mean = sum / static_cast<double>(values.size());
    if (function == "mean") return mean;
    if (function == "std") {  // sample standard deviation (n - 1), as pandas' std
        if (values.size() < 2) return nullptr;
        double squares = 0;
        for (double v : values) squares += (v - mean) * (v - mean);
        return std::sqrt(squares / static_cast<double>(values.size() - 1));
    }
    std::sort(values.begin(), values.end());  // median
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

// Prepares SQL built around a --where expression with only reads allowed; an error names the
// user's own text instead of the bound parameters SQLite saw.
sql::Statement prepare_where(sql::Connection& db, const std::string& sql, const Translated& where,
                             int first_parameter, const std::string& text) {
    sqlite3_set_authorizer(db.handle(), read_only_authorizer, nullptr);
    try {
        sql::Statement statement = db.prepare(sql);
        sqlite3_set_authorizer(db.handle(), nullptr, nullptr);
        return statement;
    } catch (const sql::Error& e) {
        sqlite3_set_authorizer(db.handle(), nullptr, nullptr);
        std::string message = e.what();  // "prepare: <SQLite's message>"
        if (const auto colon = message.find(": "); colon != std::string::npos) message = message.substr(colon + 2);
        for (std::size_t k = where.literals.size(); k-- > 0;) {
            const std::string placeholder = "\"?" + std::to_string(first_parameter + static_cast<int>(k)) + "\"";
            if (const auto at = message.find(placeholder); at != std::string::npos) {
                message.replace(at, placeholder.size(), "\"" + where.literals[k] + "\"");
            }
        }
        throw std::invalid_argument("--where: " + message + " in '" + text + "'");
    }
}

}  // namespace

std::string resolve_sweep(Store& store, const std::string& name) {
    auto& db = store.connection();
    if (!name.empty()) {
        if (!store.find_sweep(name)) throw std::invalid_argument("no sweep named '" + name + "' in " + db.path());
        return name;
    }
    std::vector<std::string> names;
    auto select = db.prepare("SELECT name FROM sweeps ORDER BY name");
    while (select.step()) names.push_back(select.get_text(0));
    if (names.size() == 1) return names.front();
    if (names.empty()) throw std::invalid_argument(db.path() + ": the index holds no sweep yet");
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : ", ") + n;
    throw std::invalid_argument("--sweep: " + db.path() + " holds " + std::to_string(names.size()) + " sweeps (" +
                                list + "): name one");
}

ResultsTable query_results(Store& store, const std::string& sweep, const std::string& where,
                           const std::vector<std::string>& columns, bool include_failed) {
    ResultsQuery query;
    query.sweep = sweep;
    query.where = where;
    query.columns = columns;
    query.include_failed = include_failed;
    return query_results(store, query);
}

ResultsTable query_results(Store& store, const ResultsQuery& query) {
    auto& db = store.connection();
    const std::string sweep = resolve_sweep(store, query.sweep);
    const std::int64_t sweep_id = *store.find_sweep(sweep);
    const Catalogue cat = catalogue(db, sweep_id);
    const auto check = [&](const std::string& option, const std::string& c) {
        if (!cat.known(c)) throw std::invalid_argument(option + ": unknown column '" + c + "'");
    };
    for (const std::string& c : query.columns) check("--columns", c);
    for (const std::string& c : query.group_by) check("--group-by", c);
    for (const std::string& c : query.aggregate_columns) check("--agg", c);
    static const std::set<std::string> functions = {"mean", "std", "median", "min", "max", "count"};
    for (const std::string& f : query.aggregate_functions) {
        if (!functions.count(f)) {
            throw std::invalid_argument("--agg: unknown function '" + f + "' (mean, std, median, min, max, count)");
        }
    }

    // Rows in the order the sweep file first listed their blocks (registration order), then by
    // index: a join on each block's first row id, found in one grouped pass (a correlated subquery
    // per row made this quadratic: 13 s for 5000 jobs).
    std::string sql =
        "SELECT j.id, j.idx, j.key, j.status, j.params, j.tags, j.block, j.attempts, j.host, j.rank, "
        "j.wall_seconds, j.error, j.payload_path, j.model, j.cost, j.started, j.finished FROM jobs j "
        "JOIN (SELECT block, min(id) AS first_id FROM jobs WHERE sweep_id = ?1 GROUP BY block) b "
        "ON b.block = j.block WHERE j.sweep_id = ?1 AND j.retired = 0";
    if (!query.include_failed) sql += " AND j.status = 'done'";
    std::vector<std::string> view_binds;
    Translated where;
    int first_user_parameter = 2;
    if (query.where.find_first_not_of(" \t\n") != std::string::npos) {
        // The expression runs over a view of this sweep's rows with one column per name; only the
        // columns it names are computed (SQLite flattens the subquery).
        std::string view = "SELECT j.id AS id";
        for (const auto& [name, column] : cat.sql_columns) {
            std::string expr = column.sql;
            for (const std::string& text : column.bind) {
                view_binds.push_back(text);
                expr.replace(expr.find('?'), 1, "?" + std::to_string(1 + view_binds.size()));
            }
            view += ", " + expr + " AS " + quote_identifier(name);
        }
        view += " FROM jobs j WHERE j.sweep_id = ?1 AND j.retired = 0";
        first_user_parameter = static_cast<int>(view_binds.size()) + 2;
        where = translate_where(query.where, cat, first_user_parameter);
        // Checked on its own first, with the expression last, so that SQLite's message about it
        // ("incomplete input", "near ...") is about the user's text, not the query around it.
        prepare_where(db, "SELECT id FROM (" + view + ") WHERE " + where.sql, where, first_user_parameter, query.where);
        sql += " AND j.id IN (SELECT id FROM (" + view + ") WHERE " + where.sql + ")";
    }
    sql += " ORDER BY b.first_id, j.idx";
    sql::Statement select = prepare_where(db, sql, where, first_user_parameter, query.where);
    select.bind(1, sweep_id);
    for (std::size_t k = 0; k < view_binds.size(); ++k) select.bind(static_cast<int>(k + 2), view_binds[k]);
    for (std::size_t k = 0; k < where.values.size(); ++k) {
        const int index = first_user_parameter + static_cast<int>(k);
        std::visit([&](const auto& v) { select.bind(index, v); }, where.values[k]);
    }

    std::vector<Row> rows;
    std::unordered_map<std::int64_t, std::size_t> row_of_id;
    const auto nullable_text = [&](int col) { return select.is_null(col) ? Json() : Json(select.get_text(col)); };
    const auto nullable_real = [&](int col) { return select.is_null(col) ? Json() : Json(select.get_double(col)); };
    while (select.step()) {
        row_of_id.emplace(select.get_int(0), rows.size());
        Row& row = rows.emplace_back();
        row["index"] = select.get_int(1);
        row["key"] = select.get_text(2);
        row["status"] = select.get_text(3);
        flatten(Json::parse(select.get_text(4)), "", row);
        const Json tags = Json::parse(select.get_text(5));
        for (const auto& [k, v] : tags.items()) row["tag." + k] = v;
        row["block"] = select.get_text(6);
        row["attempts"] = select.get_int(7);
        row["host"] = nullable_text(8);
        row["rank"] = select.is_null(9) ? Json() : Json(select.get_int(9));
        row["wall_seconds"] = nullable_real(10);
        row["error"] = nullable_text(11);
        row["payload_path"] = select.is_null(12) ? Json() : Json(store.resolve_path(select.get_text(12)));
        row["model"] = select.get_text(13);
        row["cost"] = select.get_double(14);
        row["started"] = nullable_real(15);
        row["finished"] = nullable_real(16);
    }

    // All metrics of the sweep in one pass (one query per job was most of the time for large sweeps).
    std::map<std::string, std::string> column_of_metric;
    for (const auto& [column, metric] : cat.metric_columns) column_of_metric[metric] = column;
    auto metrics = db.prepare(
        "SELECT m.job_id, m.name, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id "
        "WHERE j.sweep_id = ? AND j.retired = 0");
    metrics.bind(1, sweep_id);
    while (metrics.step()) {
        const auto it = row_of_id.find(metrics.get_int(0));
        if (it == row_of_id.end()) continue;
        // SQLite stores a NaN as NULL: a metric row without a value was NaN.
        rows[it->second][column_of_metric.at(metrics.get_text(1))] =
            metrics.is_null(2) ? Json(std::numeric_limits<double>::quiet_NaN()) : Json(metrics.get_double(2));
    }

    ResultsTable table;
    if (!query.group_by.empty()) {
        std::map<std::vector<std::string>, std::vector<const Row*>> groups;  // by the values' JSON text
        std::vector<std::vector<std::string>> order;                        // first appearance
        for (const Row& row : rows) {
            std::vector<std::string> key;
            for (const std::string& c : query.group_by) {
                const auto it = row.find(c);
                key.push_back(it == row.end() ? "null" : it->second.dump());
            }
            auto& members = groups[key];
            if (members.empty()) order.push_back(key);
            members.push_back(&row);
        }
        std::vector<Row> grouped;
        for (const auto& key : order) {
            const auto& members = groups.at(key);
            Row out;
            for (std::size_t g = 0; g < query.group_by.size(); ++g) out[query.group_by[g]] = Json::parse(key[g]);
            out["count"] = static_cast<std::int64_t>(members.size());
            for (const std::string& c : query.aggregate_columns) {
                std::vector<double> values;
                for (const Row* m : members) {
                    const auto it = m->find(c);
                    if (it != m->end() && it->second.is_number()) values.push_back(it->second.get<double>());
                }
                for (const std::string& f : query.aggregate_functions) out[c + "_" + f] = aggregate(f, values);
            }
            grouped.push_back(std::move(out));
        }
        rows = std::move(grouped);
        table.columns = query.group_by;
        table.columns.push_back("count");
        for (const std::string& c : query.aggregate_columns) {
            for (const std::string& f : query.aggregate_functions) table.columns.push_back(c + "_" + f);
        }
    } else if (!query.columns.empty()) {
        table.columns = query.columns;
    } else {
        table.columns = {"index", "key", "status"};
        if (!rows.empty() && rows.front()["block"] != "") table.columns.insert(table.columns.begin(), "block");
        for (const auto& [name, values] : cat.param_values) {
            if (values.size() > 1) table.columns.push_back(name);
        }
        for (const std::string& t : cat.tag_names) table.columns.push_back("tag." + t);
        for (const auto& [column, metric] : cat.metric_columns) table.columns.push_back(column);
    }

    if (!query.sort.empty()) {
        std::vector<std::pair<std::string, bool>> keys;  // column, descending
        for (const std::string& s : query.sort) {
            const bool descending = !s.empty() && s.front() == '-';
            const std::string column = descending ? s.substr(1) : s;
            const bool available = query.group_by.empty() ? cat.known(column)
                                                          : std::find(table.columns.begin(), table.columns.end(),
                                                                      column) != table.columns.end();
            if (!available) throw std::invalid_argument("--sort: unknown column '" + column + "'");
            keys.emplace_back(column, descending);
        }
        std::stable_sort(rows.begin(), rows.end(), [&](const Row& a, const Row& b) {
            for (const auto& [column, descending] : keys) {
                const auto ia = a.find(column), ib = b.find(column);
                const Json& va = ia == a.end() ? Json() : ia->second;
                const Json& vb = ib == b.end() ? Json() : ib->second;
                if (va.is_null() != vb.is_null()) return vb.is_null();  // missing values last either way
                if (value_less(va, vb)) return !descending;
                if (value_less(vb, va)) return descending;
            }
            return false;
        });
    }
    if (query.limit && rows.size() > *query.limit) rows.resize(*query.limit);

    for (Row& row : rows) {
        std::vector<Json> cells;
        for (const std::string& c : table.columns) {
            const auto it = row.find(c);
            cells.push_back(it == row.end() ? Json() : it->second);
        }
        table.rows.push_back(std::move(cells));
    }
    return table;
}

namespace {

const char* const job_record_select = R"sql(
        SELECT s.name, j.idx, j.key, j.model, j.status, coalesce(j.error, ''), coalesce(j.host, ''),
               coalesce(j.payload_path, ''), coalesce(j.payload_sha256, ''),
               coalesce(j.binary_version, ''), coalesce(j.build_type, ''), j.model_version,
               j.attempts, coalesce(j.rank, 0), coalesce(j.wall_seconds, 0), j.params, j.tags, j.id
        FROM jobs j JOIN sweeps s ON s.id = j.sweep_id )sql";

JobRecord read_job_record(Store& store, sql::Statement& select) {
    JobRecord r;
    r.sweep = select.get_text(0);
    r.index = select.get_int(1);
    r.key = select.get_text(2);
    r.model = select.get_text(3);
    r.status = select.get_text(4);
    r.error = select.get_text(5);
    r.host = select.get_text(6);
    r.payload_path = store.resolve_path(select.get_text(7));
    r.payload_sha256 = select.get_text(8);
    r.binary_version = select.get_text(9);
    r.build_type = select.get_text(10);
    r.model_version = static_cast<int>(select.get_int(11));
    r.attempts = static_cast<int>(select.get_int(12));
    r.rank = static_cast<int>(select.get_int(13));
    r.wall_seconds = select.get_double(14);
    r.params = Json::parse(select.get_text(15));
    r.tags = Json::parse(select.get_text(16));
    auto metrics = store.connection().prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    metrics.bind(1, select.get_int(17));
    while (metrics.step()) {
        r.metrics[metrics.get_text(0)] =
            metrics.is_null(1) ? std::numeric_limits<double>::quiet_NaN() : metrics.get_double(1);
    }
    return r;
}

}  // namespace

std::optional<JobRecord> find_job(Store& store, const std::string& key_prefix) {
    auto select = store.connection().prepare(std::string(job_record_select) +
                                             "WHERE j.key >= ?1 AND j.key < ?1 || 'g' ORDER BY j.key LIMIT 2");
    select.bind(1, key_prefix);
    if (!select.step()) return std::nullopt;
    JobRecord r = read_job_record(store, select);
    if (select.step() && select.get_text(2) != r.key) {
        throw std::invalid_argument("key prefix '" + key_prefix + "' is ambiguous");
    }
    return r;
}

std::optional<JobRecord> find_job_at(Store& store, const std::string& sweep, std::int64_t index) {
    auto select = store.connection().prepare(std::string(job_record_select) +
                                             "WHERE s.name = ? AND j.idx = ? AND j.retired = 0 LIMIT 1");
    select.bind(1, sweep).bind(2, index);
    if (!select.step()) return std::nullopt;
    return read_job_record(store, select);
}

SweepProgress sweep_progress(Store& store, std::int64_t sweep_id) {
    SweepProgress p;
    auto costs = store.connection().prepare(R"sql(
        SELECT coalesce(sum(CASE WHEN status = 'done' THEN cost END), 0),
               coalesce(sum(CASE WHEN status IN ('pending', 'running') THEN cost END), 0), min(started)
        FROM jobs WHERE sweep_id = ? AND retired = 0)sql");
    costs.bind(1, sweep_id);
    costs.step();
    p.done_cost = costs.get_double(0);
    p.remaining_cost = costs.get_double(1);
    if (!costs.is_null(2)) p.first_started = costs.get_double(2);
    auto window = store.connection().prepare(R"sql(
        SELECT count(*), coalesce(sum(cost), 0), max(finished) - min(started) FROM (
            SELECT cost, started, finished FROM jobs
            WHERE sweep_id = ? AND retired = 0 AND status = 'done' AND started IS NOT NULL AND finished IS NOT NULL
            ORDER BY finished DESC LIMIT 200))sql");
    window.bind(1, sweep_id);
    window.step();
    p.window_jobs = window.get_int(0);
    const double window_cost = window.get_double(1);
    p.window_seconds = window.is_null(2) ? 0 : window.get_double(2);
    if (p.window_jobs >= 2 && p.window_seconds > 0) {
        p.jobs_per_second = static_cast<double>(p.window_jobs) / p.window_seconds;
        if (p.remaining_cost > 0 && window_cost > 0) p.eta_seconds = p.remaining_cost / (window_cost / p.window_seconds);
    }
    return p;
}

std::vector<FailureGroup> failure_groups(Store& store, std::int64_t sweep_id) {
    auto select = store.connection().prepare(R"sql(
        SELECT key, coalesce(error, ''), params FROM jobs
        WHERE sweep_id = ? AND status = 'failed' AND retired = 0 ORDER BY idx)sql");
    select.bind(1, sweep_id);
    std::vector<FailureGroup> groups;
    std::map<std::string, std::size_t> by_error;
    while (select.step()) {
        const std::string error = select.get_text(1);
        const auto [it, added] = by_error.emplace(first_line(error), groups.size());
        if (added) {
            FailureGroup g;
            g.error = first_line(error);
            g.example_key = select.get_text(0);
            g.example_params = Json::parse(select.get_text(2));
            // The real cause is usually at the end: the last lines of an exec job's stderr section
            // ("--- stderr.log (last lines) ---"), else of the error's further lines.
            std::vector<std::string> further, stderr_lines;
            std::istringstream in(error);
            bool in_stderr = false;
            std::getline(in, g.detail);  // the first line is `error` itself
            for (std::string l; std::getline(in, l);) {
                if (l.rfind("--- ", 0) == 0 || l.rfind("(logs in ", 0) == 0) {
                    in_stderr = l.rfind("--- stderr", 0) == 0;
                    continue;
                }
                if (l.find_first_not_of(" \t") == std::string::npos) continue;
                (in_stderr ? stderr_lines : further).push_back(l);
            }
            const auto& cause = stderr_lines.empty() ? further : stderr_lines;
            g.detail.clear();
            for (std::size_t k = cause.size() > 2 ? cause.size() - 2 : 0; k < cause.size(); ++k) {
                g.detail += (g.detail.empty() ? "" : "\n") + cause[k];
            }
            groups.push_back(std::move(g));
        }
        ++groups[it->second].count;
    }
    std::stable_sort(groups.begin(), groups.end(),
                     [](const FailureGroup& a, const FailureGroup& b) { return a.count > b.count; });
    return groups;
}

ResultsTable job_table(const std::vector<Job>& jobs) {
    std::vector<std::map<std::string, Json>> flat(jobs.size());
    std::map<std::string, std::set<std::string>> values;
    std::set<std::string> tag_names;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        flatten(jobs[i].params, "", flat[i]);
        for (const auto& [k, v] : flat[i]) values[k].insert(v.dump());
        for (const auto& [k, v] : jobs[i].tags.items()) tag_names.insert(k);
    }
    ResultsTable table;
    const bool blocks = std::any_of(jobs.begin(), jobs.end(), [](const Job& j) { return !j.block.empty(); });
    if (blocks) table.columns.push_back("block");
    table.columns.insert(table.columns.end(), {"index", "key", "cost"});
    std::vector<std::string> varying;
    for (const auto& [name, distinct] : values) {
        if (distinct.size() > 1) varying.push_back(name);
    }
    table.columns.insert(table.columns.end(), varying.begin(), varying.end());
    for (const std::string& t : tag_names) table.columns.push_back("tag." + t);
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const Job& j = jobs[i];
        std::vector<Json> row;
        if (blocks) row.push_back(j.block);
        row.insert(row.end(), {j.index, j.key, j.cost});
        for (const std::string& name : varying) {
            const auto it = flat[i].find(name);
            row.push_back(it == flat[i].end() ? Json() : it->second);
        }
        for (const std::string& t : tag_names) row.push_back(j.tags.contains(t) ? j.tags[t] : Json());
        table.rows.push_back(std::move(row));
    }
    return table;
}

EditPlan plan_edit(Store& store, const std::string& sweep, const std::vector<std::string_view>& keys) {
    EditPlan plan;
    const auto sweep_id = store.find_sweep(sweep);
    if (!sweep_id) {
        plan.new_jobs = static_cast<std::int64_t>(keys.size());
        return plan;
    }
    std::unordered_map<std::string, std::pair<std::string, bool>> rows;  // key -> status, retired
    auto select = store.connection().prepare("SELECT key, status, retired FROM jobs WHERE sweep_id = ?");
    select.bind(1, *sweep_id);
    while (select.step()) rows.emplace(select.get_text(0), std::make_pair(select.get_text(1), select.get_int(2) != 0));
    for (const std::string_view key : keys) {
        const auto it = rows.find(std::string(key));
        if (it == rows.end()) {
            ++plan.new_jobs;
        } else {
            const std::string& status = it->second.first;
            (status == "done" ? plan.done : status == "failed" ? plan.failed : plan.pending) += 1;
            it->second.second = true;  // accounted for: not retired by this edit
        }
    }
    for (const auto& [key, row] : rows) {
        if (row.second) continue;  // in the new expansion, or retired already
        (row.first == "done" ? plan.retire_done : plan.retire_other) += 1;
    }
    return plan;
}

std::string describe(const EditPlan& plan) {
    std::string text = std::to_string(plan.new_jobs) + " new, " + std::to_string(plan.done) + " done, " +
                       std::to_string(plan.failed) + " failed, " + std::to_string(plan.pending) + " pending; " +
                       std::to_string(plan.retire_done) + " done jobs would be retired";
    if (plan.retire_other > 0) text += " (and " + std::to_string(plan.retire_other) + " not done)";
    return text;
}

std::string format_table(const ResultsTable& table) {
    std::vector<std::size_t> widths(table.columns.size());
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < table.columns.size(); ++c) widths[c] = display_width(table.columns[c]);
    for (const auto& row : table.rows) {
        auto& out = cells.emplace_back();
        for (std::size_t c = 0; c < row.size(); ++c) {
            std::string text = table_cell(row[c]);
            if (table.columns[c] == "key") text = text.substr(0, 12);
            widths[c] = std::max(widths[c], display_width(text));
            out.push_back(std::move(text));
        }
    }
    std::ostringstream s;
    const auto line = [&](const std::vector<std::string>& texts) {
        for (std::size_t c = 0; c < texts.size(); ++c) {
            if (c + 1 < texts.size()) s << fmt::format("{:<{}}  ", texts[c], widths[c]);
            else s << texts[c];  // no trailing blanks
        }
        s << '\n';
    };
    line(table.columns);
    for (const auto& row : cells) line(row);
    return s.str();
}

std::string format_csv(const ResultsTable& table) {
    std::ostringstream s;
    for (std::size_t c = 0; c < table.columns.size(); ++c) s << (c ? "," : "") << csv_cell(table.columns[c]);
    s << '\n';
    for (const auto& row : table.rows) {
        for (std::size_t c = 0; c < row.size(); ++c) s << (c ? "," : "") << csv_cell(row[c]);
        s << '\n';
    }
    return s.str();
}

std::string format_json(const ResultsTable& table) {
    Json out = Json::array();
    for (const auto& row : table.rows) {
        Json object = Json::object();
        for (std::size_t c = 0; c < row.size(); ++c) {
            // JSON has no infinities: nlohmann would write null, the same as a missing value.
            object[table.columns[c]] = is_nonfinite(row[c]) ? Json(nonfinite_text(row[c].get<double>())) : row[c];
        }
        out.push_back(std::move(object));
    }
    return out.dump(1) + "\n";
}

}  // namespace sr
