#include "db/query.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>

namespace sr {
namespace {

const std::set<std::string> job_fields = {"index", "key", "status", "block", "attempts", "host",
                                          "rank", "wall_seconds", "error", "payload_path"};

std::string job_field_sql(const std::string& field) {
    return field == "index" ? "j.idx" : "j." + field;
}

void flatten(const Json& node, const std::string& prefix, std::map<std::string, Json>& out) {
    if (node.is_object()) {
        for (const auto& [k, v] : node.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
    } else {
        out[prefix] = node;
    }
}

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t");
    const auto e = s.find_last_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::optional<double> as_number(const std::string& text) {
    double value = 0;
    const auto* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end) return std::nullopt;
    return value;
}

void bind_value(sql::Statement& stmt, int index, const std::string& value) {
    if (auto number = as_number(value)) stmt.bind(index, *number);
    else if (value == "true") stmt.bind(index, std::int64_t{1});
    else if (value == "false") stmt.bind(index, std::int64_t{0});
    else stmt.bind(index, value);
}

std::string csv_cell(const Json& value) {
    if (value.is_null()) return "";
    if (value.is_number_float() && std::isinf(value.get<double>())) return value.get<double>() > 0 ? "inf" : "-inf";
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
        std::ostringstream s;
        s.precision(6);
        s << value.get<double>();
        return s.str();
    }
    return value.dump();
}

}  // namespace

std::vector<Condition> parse_where(const std::string& text) {
    std::vector<Condition> out;
    std::string rest = text;
    // Split on " and " (any case) or ','.
    std::vector<std::string> parts;
    std::string lowered = rest;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
    std::size_t start = 0;
    for (std::size_t i = 0; i <= rest.size(); ++i) {
        if (i == rest.size() || rest[i] == ',') {
            parts.push_back(rest.substr(start, i - start));
            start = i + 1;
        } else if (lowered.compare(i, 5, " and ") == 0) {
            parts.push_back(rest.substr(start, i - start));
            start = i + 5;
            i += 4;
        }
    }
    for (const std::string& raw : parts) {
        const std::string part = trim(raw);
        if (part.empty()) continue;
        const auto pos = part.find_first_of("=!<>");
        if (pos == std::string::npos || pos == 0) {
            throw std::invalid_argument("--where: expected COLUMN OP VALUE, got '" + part + "'");
        }
        std::size_t op_end = pos + 1;
        if (op_end < part.size() && part[op_end] == '=') ++op_end;
        std::string op = part.substr(pos, op_end - pos);
        if (op == "==") op = "=";
        static const std::set<std::string> ops = {"=", "!=", "<", "<=", ">", ">="};
        if (!ops.count(op)) throw std::invalid_argument("--where: unknown operator '" + op + "' in '" + part + "'");
        Condition c{trim(part.substr(0, pos)), op, trim(part.substr(op_end))};
        if (c.value.size() >= 2 && (c.value.front() == '\'' || c.value.front() == '"') &&
            c.value.back() == c.value.front()) {
            c.value = c.value.substr(1, c.value.size() - 2);
        }
        out.push_back(std::move(c));
    }
    return out;
}

ResultsTable query_results(Store& store, const std::string& sweep, const std::vector<Condition>& where,
                           const std::vector<std::string>& columns, bool include_failed) {
    auto& db = store.connection();
    const auto sweep_id = store.find_sweep(sweep);
    if (!sweep_id) throw std::invalid_argument("no sweep named '" + sweep + "' in " + db.path());

    std::set<std::string> metric_names;
    {
        auto names = db.prepare(
            "SELECT DISTINCT m.name FROM metrics m JOIN jobs j ON j.id = m.job_id WHERE j.sweep_id = ?");
        names.bind(1, *sweep_id);
        while (names.step()) metric_names.insert(names.get_text(0));
    }

    // Parameter paths and tag names over the whole sweep (not only the rows a filter keeps), so that
    // the varying-parameter columns do not depend on --where and a misspelled column is an error
    // instead of an empty result.
    std::map<std::string, std::set<std::string>> param_values;  // to find varying parameters
    std::set<std::string> tag_names;
    {
        auto all = db.prepare("SELECT params, tags FROM jobs WHERE sweep_id = ? AND retired = 0");
        all.bind(1, *sweep_id);
        while (all.step()) {
            std::map<std::string, Json> flat;
            flatten(Json::parse(all.get_text(0)), "", flat);
            for (const auto& [k, v] : flat) param_values[k].insert(v.dump());
            const Json tags = Json::parse(all.get_text(1));
            for (const auto& [k, v] : tags.items()) tag_names.insert(k);
        }
    }
    // A metric named like a parameter or a job field is the column <name>_metric, so that every
    // column means one thing (the same rule as tools/load_results_example.py).
    std::map<std::string, std::string> metric_columns;  // column -> metric name
    for (const std::string& m : metric_names) {
        const bool clash = param_values.count(m) || job_fields.count(m) || m.rfind("tag.", 0) == 0;
        metric_columns.emplace(clash ? m + "_metric" : m, m);
    }
    auto known_column = [&](const std::string& c) {
        return job_fields.count(c) || metric_columns.count(c) || param_values.count(c) ||
               (c.rfind("tag.", 0) == 0 && tag_names.count(c.substr(4)));
    };
    for (const Condition& c : where) {
        if (!known_column(c.column)) throw std::invalid_argument("--where: unknown column '" + c.column + "'");
    }

    // The SQL text is built only from fixed fragments; every user-provided name and value is bound.
    std::string sql =
        "SELECT j.id, j.idx, j.key, j.status, j.params, j.tags, j.block, j.attempts, j.host, j.rank, "
        "j.wall_seconds, j.error, j.payload_path FROM jobs j WHERE j.sweep_id = ? AND j.retired = 0";
    if (!include_failed) sql += " AND j.status = 'done'";
    std::vector<std::string> bound;
    for (const Condition& c : where) {
        if (const auto metric = metric_columns.find(c.column); metric != metric_columns.end()) {
            sql += " AND EXISTS (SELECT 1 FROM metrics m WHERE m.job_id = j.id AND m.name = ? AND m.value " +
                   c.op + " ?)";
            bound.push_back(metric->second);
        } else if (job_fields.count(c.column)) {
            sql += " AND " + job_field_sql(c.column) + " " + c.op + " ?";
        } else if (c.column.rfind("tag.", 0) == 0) {
            sql += " AND json_extract(j.tags, ?) " + c.op + " ?";
            bound.push_back("$." + c.column.substr(4));
        } else {
            sql += " AND json_extract(j.params, ?) " + c.op + " ?";
            bound.push_back("$." + c.column);
        }
        bound.push_back(c.value);
    }
    // Blocks in the order the sweep file first listed them (registration order), then by index.
    sql += " ORDER BY (SELECT min(b.id) FROM jobs b WHERE b.sweep_id = j.sweep_id AND b.block = j.block), j.idx";
    auto select = db.prepare(sql);
    int bind_index = 1;
    select.bind(bind_index++, *sweep_id);
    {
        std::size_t b = 0;
        for (const Condition& c : where) {
            if (!job_fields.count(c.column)) select.bind(bind_index++, bound[b++]);
            bind_value(select, bind_index++, bound[b++]);
        }
    }

    struct Row {
        std::int64_t id;
        std::map<std::string, Json> fields;
    };
    std::vector<Row> rows;
    while (select.step()) {
        Row row{select.get_int(0), {}};
        row.fields["index"] = select.get_int(1);
        row.fields["key"] = select.get_text(2);
        row.fields["status"] = select.get_text(3);
        std::map<std::string, Json> flat;
        flatten(Json::parse(select.get_text(4)), "", flat);
        for (auto& [k, v] : flat) row.fields[k] = std::move(v);
        const Json tags = Json::parse(select.get_text(5));
        for (const auto& [k, v] : tags.items()) row.fields["tag." + k] = v;
        row.fields["block"] = select.get_text(6);
        row.fields["attempts"] = select.get_int(7);
        row.fields["host"] = select.is_null(8) ? Json() : Json(select.get_text(8));
        row.fields["rank"] = select.is_null(9) ? Json() : Json(select.get_int(9));
        row.fields["wall_seconds"] = select.is_null(10) ? Json() : Json(select.get_double(10));
        row.fields["error"] = select.is_null(11) ? Json() : Json(select.get_text(11));
        row.fields["payload_path"] = select.is_null(12) ? Json() : Json(select.get_text(12));
        rows.push_back(std::move(row));
    }

    std::map<std::string, std::string> column_of_metric;
    for (const auto& [column, metric] : metric_columns) column_of_metric[metric] = column;
    auto metrics = db.prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    for (Row& row : rows) {
        metrics.bind(1, row.id);
        while (metrics.step()) {
            row.fields[column_of_metric.at(metrics.get_text(0))] =
                metrics.is_null(1) ? Json() : Json(metrics.get_double(1));
        }
        metrics.reset();
    }

    ResultsTable table;
    if (!columns.empty()) {
        for (const std::string& c : columns) {
            if (!known_column(c)) {
                throw std::invalid_argument("--columns: unknown column '" + c + "'");
            }
        }
        table.columns = columns;
    } else {
        table.columns = {"index", "key", "status"};
        if (rows.size() > 0 && rows.front().fields["block"] != "") table.columns.insert(table.columns.begin(), "block");
        for (const auto& [name, values] : param_values) {
            if (values.size() > 1) table.columns.push_back(name);
        }
        for (const std::string& t : tag_names) table.columns.push_back("tag." + t);
        for (const auto& [column, metric] : metric_columns) table.columns.push_back(column);
    }
    for (Row& row : rows) {
        std::vector<Json> cells;
        for (const std::string& c : table.columns) {
            const auto it = row.fields.find(c);
            cells.push_back(it == row.fields.end() ? Json() : it->second);
        }
        table.rows.push_back(std::move(cells));
    }
    return table;
}

std::optional<JobRecord> find_job(Store& store, const std::string& key_prefix) {
    auto& db = store.connection();
    auto select = db.prepare(R"sql(
        SELECT s.name, j.idx, j.key, j.model, j.status, coalesce(j.error, ''), coalesce(j.host, ''),
               coalesce(j.payload_path, ''), coalesce(j.payload_sha256, ''),
               coalesce(j.binary_version, ''), coalesce(j.build_type, ''), j.model_version,
               j.attempts, coalesce(j.rank, 0), coalesce(j.wall_seconds, 0), j.params, j.tags, j.id
        FROM jobs j JOIN sweeps s ON s.id = j.sweep_id
        WHERE j.key >= ?1 AND j.key < ?1 || 'g' ORDER BY j.key LIMIT 2)sql");
    select.bind(1, key_prefix);
    if (!select.step()) return std::nullopt;
    JobRecord r;
    r.sweep = select.get_text(0);
    r.index = select.get_int(1);
    r.key = select.get_text(2);
    r.model = select.get_text(3);
    r.status = select.get_text(4);
    r.error = select.get_text(5);
    r.host = select.get_text(6);
    r.payload_path = select.get_text(7);
    r.payload_sha256 = select.get_text(8);
    r.binary_version = select.get_text(9);
    r.build_type = select.get_text(10);
    r.model_version = static_cast<int>(select.get_int(11));
    r.attempts = static_cast<int>(select.get_int(12));
    r.rank = static_cast<int>(select.get_int(13));
    r.wall_seconds = select.get_double(14);
    r.params = Json::parse(select.get_text(15));
    r.tags = Json::parse(select.get_text(16));
    const std::int64_t id = select.get_int(17);
    if (select.step() && select.get_text(2) != r.key) {
        throw std::invalid_argument("key prefix '" + key_prefix + "' is ambiguous");
    }
    auto metrics = db.prepare("SELECT name, value FROM metrics WHERE job_id = ?");
    metrics.bind(1, id);
    while (metrics.step()) r.metrics[metrics.get_text(0)] = metrics.get_double(1);
    return r;
}

std::string format_table(const ResultsTable& table) {
    std::vector<std::size_t> widths(table.columns.size());
    std::vector<std::vector<std::string>> cells;
    for (std::size_t c = 0; c < table.columns.size(); ++c) widths[c] = table.columns[c].size();
    for (const auto& row : table.rows) {
        auto& out = cells.emplace_back();
        for (std::size_t c = 0; c < row.size(); ++c) {
            std::string text = table_cell(row[c]);
            if (table.columns[c] == "key") text = text.substr(0, 12);
            widths[c] = std::max(widths[c], text.size());
            out.push_back(std::move(text));
        }
    }
    std::ostringstream s;
    for (std::size_t c = 0; c < table.columns.size(); ++c) {
        s << (c ? "  " : "") << table.columns[c] << std::string(widths[c] - table.columns[c].size(), ' ');
    }
    s << '\n';
    for (const auto& row : cells) {
        for (std::size_t c = 0; c < row.size(); ++c) {
            s << (c ? "  " : "") << row[c] << std::string(widths[c] - row[c].size(), ' ');
        }
        s << '\n';
    }
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
        for (std::size_t c = 0; c < row.size(); ++c) object[table.columns[c]] = row[c];
        out.push_back(std::move(object));
    }
    return out.dump(1) + "\n";
}

}  // namespace sr
