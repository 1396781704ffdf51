#include "scheduler/sweep_spec.hpp"

#include "core/limits.hpp"
#include "core/sha256.hpp"

#include <yaml-cpp/yaml.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>
#include <sstream>

namespace sr {
namespace fs = std::filesystem;
namespace {

std::string format_error(const Location& where, const std::string& key, const std::string& reason) {
    std::ostringstream s;
    s << where.file;
    if (where.line > 0) s << ':' << where.line << ':' << where.column;
    s << ": ";
    if (!key.empty()) s << key << ": ";
    s << reason;
    return s.str();
}

Location at(const std::string& file, const YAML::Node& node) {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return {file, 0, 0};
    return {file, mark.line + 1, mark.column + 1};
}

std::string join(const std::string& prefix, const std::string& key) {
    return prefix.empty() ? key : prefix + "." + key;
}

// Plain YAML scalars become numbers, booleans or null by their text; quoted ones stay strings.
Json scalar_to_json(const YAML::Node& node) {
    const std::string& text = node.Scalar();
    if (node.Tag() == "!") return text;
    if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") return nullptr;
    if (text == "true" || text == "True" || text == "TRUE") return true;
    if (text == "false" || text == "False" || text == "FALSE") return false;
    {
        long long value = 0;
        const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
        const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
        if (ec == std::errc() && ptr == text.data() + text.size()) return value;
    }
    // YAML spells special floats .nan/.inf; a plain "nan" or "inf" is a string.
    if (text.find_first_of("abcdfghijklmnopqrstuvwxyzABCDFGHIJKLMNOPQRSTUVWXYZ") == std::string::npos) {
        double value = 0;
        const char* begin = text.data() + (text.front() == '+' ? 1 : 0);
        const auto [ptr, ec] = std::from_chars(begin, text.data() + text.size(), value);
        if (ec == std::errc() && ptr == text.data() + text.size()) return value;
    }
    if (text == ".inf" || text == ".Inf") return std::numeric_limits<double>::infinity();
    if (text == "-.inf" || text == "-.Inf") return -std::numeric_limits<double>::infinity();
    return text;
}

// yaml-cpp resolves an alias to the anchored node itself: an anchor that contains its own alias is
// a cycle, and ten nested aliases of ten make 10^10 values for every later walk. One bounded walk
// right after parsing refuses both before anything else looks at the tree.
void check_yaml_bounds(const YAML::Node& node, const std::string& file, int depth, std::size_t& values) {
    if (++values > limits::max_yaml_values) {
        throw SweepError(at(file, node), "", "more than " + std::to_string(limits::max_yaml_values) +
                                                 " values with aliases expanded (an alias bomb?)");
    }
    if (depth > limits::max_yaml_depth) {
        throw SweepError(at(file, node), "", "nested deeper than " + std::to_string(limits::max_yaml_depth) +
                                                 " levels (or an alias that contains itself)");
    }
    if (node.IsSequence()) {
        for (const YAML::Node& item : node) check_yaml_bounds(item, file, depth + 1, values);
    } else if (node.IsMap()) {
        for (const auto& entry : node) {
            check_yaml_bounds(entry.first, file, depth + 1, values);
            check_yaml_bounds(entry.second, file, depth + 1, values);
        }
    }
}

// Parses a sweep or base file, within the bounds above.
YAML::Node load_yaml(const std::string& text, const std::string& file) {
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::Exception& e) {
        throw SweepError({file, e.mark.line + 1, e.mark.column + 1}, "", "invalid YAML: " + e.msg);
    }
    std::size_t values = 0;
    check_yaml_bounds(root, file, 0, values);
    return root;
}

// The text of a sweep or base file: a regular file of at most max_sweep_file_bytes. A FIFO, device
// or folder would block or never end (/dev/zero), so they are refused by type before reading, and
// the FIFO is opened without blocking to find out.
std::string read_input_file(const fs::path& path, const Location& referenced_at, const std::string& key) {
    const auto refuse = [&](const std::string& reason) {
        throw SweepError(referenced_at, key, "'" + path.string() + "' " + reason);
    };
    const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) refuse(std::string("cannot be read: ") + std::strerror(errno));
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    struct stat info {};
    if (::fstat(fd, &info) != 0) refuse(std::string("cannot be read: ") + std::strerror(errno));
    if (S_ISDIR(info.st_mode)) refuse("is a folder, not a file");
    if (!S_ISREG(info.st_mode)) refuse("is not a regular file (a device, FIFO or socket)");
    if (static_cast<std::uintmax_t>(info.st_size) > limits::max_sweep_file_bytes) {
        refuse("is larger than " + std::to_string(limits::max_sweep_file_bytes >> 20) + " MiB");
    }
    std::string text(static_cast<std::size_t>(info.st_size), '\0');
    std::size_t have = 0;
    while (have < text.size()) {
        const ssize_t n = ::read(fd, text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) refuse(std::string("cannot be read: ") + std::strerror(errno));
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
    }
    text.resize(have);
    return text;
}

// Converts YAML to JSON, recording where every mapping key (dotted) was written.
Json to_json(const YAML::Node& node, const std::string& file, const std::string& prefix, LocationMap* where) {
    switch (node.Type()) {
        case YAML::NodeType::Null: return nullptr;
        case YAML::NodeType::Scalar: return scalar_to_json(node);
        case YAML::NodeType::Sequence: {
            Json out = Json::array();
            for (const YAML::Node& item : node) out.push_back(to_json(item, file, prefix, nullptr));
            return out;
        }
        case YAML::NodeType::Map: {
            Json out = Json::object();
            for (const auto& entry : node) {
                const std::string key = entry.first.as<std::string>();
                const std::string dotted = join(prefix, key);
                if (where) (*where)[dotted] = at(file, entry.first);
                // A dotted key inside a mapping ("seed.sim: 3") means the nested path.
                set_path(out, key, to_json(entry.second, file, dotted, where));
            }
            return out;
        }
        default: return nullptr;
    }
}

// Deep merge: objects merge key by key, anything else in `over` replaces.
void merge_into(Json& base, const Json& over) {
    if (!base.is_object() || !over.is_object()) {
        base = over;
        return;
    }
    for (const auto& [k, v] : over.items()) {
        if (base.contains(k) && base[k].is_object() && v.is_object()) merge_into(base[k], v);
        else base[k] = v;
    }
}

void require_keys(const YAML::Node& map, const std::string& file, const std::string& where_name,
                  const std::vector<std::string>& allowed) {
    for (const auto& entry : map) {
        const std::string key = entry.first.as<std::string>();
        if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
        std::string reason = "unknown " + where_name + " key";
        if (auto guess = closest_match(key, allowed)) reason += " (did you mean '" + *guess + "'?)";
        throw SweepError(at(file, entry.first), key, reason);
    }
}

// YAML allows nothing but yaml-cpp accepts a key written twice in one mapping (and lookups see only
// the first): a pasted or misspelled duplicate would silently lose a value. Keys must be scalars.
void check_unique_keys(const YAML::Node& node, const std::string& file) {
    if (node.IsSequence()) {
        for (const YAML::Node& item : node) check_unique_keys(item, file);
        return;
    }
    if (!node.IsMap()) return;
    std::map<std::string, int> seen;  // key -> line
    for (const auto& entry : node) {
        if (!entry.first.IsScalar()) throw SweepError(at(file, entry.first), "", "a mapping key must be a plain name");
        const auto [it, inserted] = seen.emplace(entry.first.Scalar(), at(file, entry.first).line);
        if (!inserted) {
            throw SweepError(at(file, entry.first), entry.first.Scalar(),
                             "duplicate key (first written on line " + std::to_string(it->second) + ")");
        }
        check_unique_keys(entry.second, file);
    }
}

void check_scalar_tags(const YAML::Node& tags, const std::string& file, const std::string& prefix) {
    for (const auto& entry : tags) {
        if (!entry.second.IsScalar() && !entry.second.IsNull()) {
            throw SweepError(at(file, entry.second), prefix + entry.first.Scalar(), "a tag must be a single value");
        }
    }
}

YAML::Node expect_map(const YAML::Node& node, const std::string& file, const std::string& key) {
    if (!node.IsMap()) throw SweepError(at(file, node), key, "expected a mapping");
    return node;
}

AxisPoint point_from(const YAML::Node& node, const std::string& file, const std::string& axis_key,
                     const std::string& axis_name) {
    AxisPoint point;
    point.location = at(file, node);
    if (node.IsMap()) {
        // A joint value: several dotted keys set together, optionally with tags.
        for (const auto& entry : node) {
            const std::string key = entry.first.as<std::string>();
            if (key == "tags") {
                expect_map(entry.second, file, axis_name + ".tags");
                check_scalar_tags(entry.second, file, axis_name + ".tags.");
                point.tags = to_json(entry.second, file, "", nullptr);
                continue;
            }
            point.sets[key] = to_json(entry.second, file, key, nullptr);
            point.where[key] = at(file, entry.first);
        }
        if (point.sets.empty()) throw SweepError(point.location, axis_name, "a value sets no parameter");
    } else {
        if (axis_key.empty()) {
            throw SweepError(point.location, axis_name, "expected a mapping of parameters to set");
        }
        point.sets[axis_key] = to_json(node, file, axis_key, nullptr);
        point.where[axis_key] = point.location;
    }
    return point;
}

// A generated axis, `{range: [start, stop]}` or `[start, stop, step]` (whole numbers, stop
// excluded, as Python's range), `{linspace: [start, stop, n]}` (n values, both ends included) or
// `{logspace: [start, stop, n]}` (10^x over the linspace of exponents). Value i of a linspace is
// start + (stop - start) * i / (n - 1): the decimal one would type (0.3, not numpy's
// 0.30000000000000004), so a written-out list and the generator give the same job keys.
std::optional<std::vector<Json>> generated_values(const YAML::Node& values, const std::string& file,
                                                  const std::string& axis_name) {
    if (!values.IsMap() || values.size() != 1) return std::nullopt;
    const std::string kind = values.begin()->first.Scalar();
    const YAML::Node args = values.begin()->second;
    const std::string name = axis_name + "." + kind;
    if (kind != "range" && kind != "linspace" && kind != "logspace") return std::nullopt;
    std::vector<Json> numbers;
    if (args.IsSequence()) {
        for (const YAML::Node& a : args) numbers.push_back(a.IsScalar() ? scalar_to_json(a) : Json());
    }
    const auto too_many = [&](double count) {
        if (count > static_cast<double>(limits::max_jobs)) {
            throw SweepError(at(file, args), name, "more than " + std::to_string(limits::max_jobs) + " values");
        }
    };
    std::vector<Json> out;
    if (kind == "range") {
        const bool whole = std::all_of(numbers.begin(), numbers.end(), [](const Json& n) { return n.is_number_integer(); });
        if ((numbers.size() != 2 && numbers.size() != 3) || !whole) {
            throw SweepError(at(file, args), name,
                             "expected [start, stop] or [start, stop, step] of whole numbers (linspace for real values)");
        }
        const long long start = numbers[0], stop = numbers[1], step = numbers.size() == 3 ? numbers[2].get<long long>() : 1;
        if (step == 0) throw SweepError(at(file, args), name, "step is 0");
        const double count = std::ceil((static_cast<double>(stop) - static_cast<double>(start)) / static_cast<double>(step));
        too_many(count);
        for (long long i = 0; i < static_cast<long long>(count); ++i) out.emplace_back(start + i * step);
    } else {
        const bool valid = numbers.size() == 3 && numbers[0].is_number() && numbers[1].is_number() &&
                           numbers[2].is_number_integer() && numbers[2].get<long long>() >= 1 &&
                           std::isfinite(numbers[0].get<double>()) && std::isfinite(numbers[1].get<double>());
        if (!valid) throw SweepError(at(file, args), name, "expected [start, stop, n] with finite ends and a whole n >= 1");
        const double start = numbers[0], stop = numbers[1];
        const long long n = numbers[2];
        too_many(static_cast<double>(n));
        for (long long i = 0; i < n; ++i) {
            const double x = n == 1 ? start : i == n - 1 ? stop : start + (stop - start) * static_cast<double>(i) / static_cast<double>(n - 1);
            out.emplace_back(kind == "logspace" ? std::pow(10.0, x) : x);
        }
    }
    if (out.empty()) throw SweepError(at(file, args), name, "gives no values");
    return out;
}

// An axis named by the key it sets ("init_noise: [...]"), a generated one ({linspace: ...}), or a
// joint axis of mappings.
Axis axis_from(const std::string& section, const std::string& key, const YAML::Node& values,
               const std::string& file, const Location& key_location) {
    Axis axis{section + "." + key, {}, key_location};
    if (const auto generated = generated_values(values, file, axis.name)) {
        for (const Json& value : *generated) {
            AxisPoint point;
            point.location = at(file, values);
            point.sets[key] = value;
            point.where[key] = point.location;
            axis.points.push_back(std::move(point));
        }
        return axis;
    }
    if (!values.IsSequence()) {
        throw SweepError(key_location, axis.name, "expected a list of values (or {range: ...}, {linspace: ...}, {logspace: ...})");
    }
    if (values.size() == 0) throw SweepError(key_location, axis.name, "axis is empty");
    bool joint = false;
    for (const YAML::Node& v : values) joint = joint || v.IsMap();
    for (const YAML::Node& v : values) {
        if (joint && !v.IsMap()) {
            throw SweepError(at(file, v), axis.name, "mix of mappings and plain values in one axis");
        }
        axis.points.push_back(point_from(v, file, joint ? "" : key, axis.name));
    }
    return axis;
}

struct RawBlock {
    std::string name;
    Location location;
    std::optional<fs::path> base_file;
    Location base_file_location;
    Json params = Json::object();
    LocationMap params_where;
    std::vector<Axis> grid;
    std::optional<Axis> zip;
    std::optional<Axis> jobs;
    std::optional<Axis> repeat;
    std::vector<Derivation> derive;
    Json tags = Json::object();
    std::optional<int> cpus;
};

const std::vector<std::string> block_keys = {"name", "description", "base_file", "params", "grid",
                                             "zip",  "jobs",        "repeat",    "derive",    "tags", "resources",
                                             // model `exec` (external programs): see parse_exec_keys
                                             "command", "workdir", "env", "outputs", "payload_format", "hash_files"};
const std::vector<std::string> exec_keys = {"command", "workdir", "env", "outputs", "payload_format", "hash_files"};

// Replaces {sweep_dir} by the sweep file's folder, leaving every other placeholder (and the {{ }}
// escapes) for the exec model to substitute per job.
std::string with_sweep_dir(const std::string& text, const std::string& sweep_dir) {
    std::string escaped;
    for (char c : sweep_dir) {
        escaped += c;
        if (c == '{' || c == '}') escaped += c;
    }
    static const std::string placeholder = "{sweep_dir}";
    std::string out;
    for (std::size_t i = 0; i < text.size();) {
        if (text.compare(i, 2, "{{") == 0 || text.compare(i, 2, "}}") == 0) {
            out += text.substr(i, 2);
            i += 2;
        } else if (text.compare(i, placeholder.size(), placeholder) == 0) {
            out += escaped;
            i += placeholder.size();
        } else {
            out += text[i++];
        }
    }
    return out;
}

// The sweep-level keys of model `exec` become the reserved parameter subtree `exec` (so they are
// part of every job key) with the location of each value, down to each argv element
// ("exec.command[2]"). Strings stay exactly as written; the exec model validates them per job.
// Only two things happen here because only the sweep file knows them: {sweep_dir} is replaced,
// and a relative `workdir` is made relative to the sweep file's folder (like base_file).
void parse_exec_keys(const YAML::Node& node, const std::string& file, const std::string& section,
                     RawBlock& block) {
    const std::string sweep_dir = fs::absolute(fs::path(file)).parent_path().lexically_normal().string();
    auto record = [&](const std::string& dotted, const YAML::Node& at_node) {
        block.params_where[dotted] = at(file, at_node);
    };
    auto string_list = [&](const YAML::Node& list, const std::string& dotted) {
        if (!list.IsSequence()) throw SweepError(at(file, list), section + dotted.substr(5), "expected a list");
        Json out = Json::array();
        for (std::size_t i = 0; i < list.size(); ++i) {
            const std::string item = dotted + "[" + std::to_string(i) + "]";
            if (!list[i].IsScalar()) throw SweepError(at(file, list[i]), section + item.substr(5), "expected a string");
            out.push_back(with_sweep_dir(list[i].Scalar(), sweep_dir));
            record(item, list[i]);
        }
        return out;
    };
    Json exec = Json::object();
    if (const YAML::Node command = node["command"]) {
        if (command.IsScalar()) {
            throw SweepError(at(file, command), section + "command",
                             "expected a list of arguments (argv), e.g. [\"python3\", \"train.py\", "
                             "\"{params_file}\"]; a command is never run through a shell");
        }
        exec["command"] = string_list(command, "exec.command");
        record("exec.command", command);
    }
    if (const YAML::Node workdir = node["workdir"]) {
        if (!workdir.IsScalar() || workdir.Scalar().empty()) {
            throw SweepError(at(file, workdir), section + "workdir", "expected a folder path");
        }
        std::string dir = with_sweep_dir(workdir.Scalar(), sweep_dir);
        if (dir.rfind("{job_dir}", 0) != 0 && fs::path(dir).is_relative()) {
            dir = (fs::path(sweep_dir) / dir).lexically_normal().string();
        }
        exec["workdir"] = dir;
        record("exec.workdir", workdir);
    }
    if (const YAML::Node env = node["env"]) {
        expect_map(env, file, section + "env");
        exec["env"] = Json::object();
        for (const auto& entry : env) {
            const std::string name = entry.first.as<std::string>();
            if (!entry.second.IsScalar()) {
                throw SweepError(at(file, entry.second), section + "env." + name, "expected a string");
            }
            exec["env"][name] = with_sweep_dir(entry.second.Scalar(), sweep_dir);
            record("exec.env." + name, entry.second);
        }
        record("exec.env", env);
    }
    if (const YAML::Node outputs = node["outputs"]) {
        expect_map(outputs, file, section + "outputs");
        exec["outputs"] = Json::object();
        for (const auto& entry : outputs) {
            const std::string name = entry.first.as<std::string>();
            record("exec.outputs." + name, entry.first);
            exec["outputs"][name] = string_list(entry.second, "exec.outputs." + name);
        }
        record("exec.outputs", outputs);
    }
    if (const YAML::Node format = node["payload_format"]) {
        if (!format.IsScalar()) throw SweepError(at(file, format), section + "payload_format", "expected a string");
        exec["payload_format"] = format.Scalar();
        record("exec.payload_format", format);
    }
    // The SHA-256 of each named file (the user's script) becomes part of every job key: editing the
    // script reruns its jobs, as editing a parameter would.
    if (const YAML::Node files = node["hash_files"]) {
        if (!files.IsSequence() || files.size() == 0) {
            throw SweepError(at(file, files), section + "hash_files", "expected a list of files");
        }
        exec["file_hashes"] = Json::object();
        for (const YAML::Node& item : files) {
            if (!item.IsScalar() || item.Scalar().empty()) throw SweepError(at(file, item), section + "hash_files", "expected a file path");
            const fs::path path = fs::path(sweep_dir) / with_sweep_dir(item.Scalar(), sweep_dir);
            std::error_code ec;
            if (!fs::is_regular_file(path, ec)) {
                throw SweepError(at(file, item), section + "hash_files", "'" + path.lexically_normal().string() + "' is not a file");
            }
            try {
                exec["file_hashes"][item.Scalar()] = sha256_file(path);
            } catch (const std::exception& e) {
                throw SweepError(at(file, item), section + "hash_files", e.what());
            }
        }
        record("exec.file_hashes", files);
    }
    if (exec.empty()) return;
    Json wrapped = {{"exec", exec}};
    merge_into(block.params, wrapped);
    if (!block.params_where.count("exec")) block.params_where["exec"] = block.location;
}


RawBlock parse_block(const YAML::Node& node, const std::string& file, const fs::path& dir,
                     const std::string& section) {
    RawBlock block;
    block.location = at(file, node);
    if (const YAML::Node name = node["name"]) block.name = name.as<std::string>();
    if (const YAML::Node base = node["base_file"]) {
        if (!base.IsScalar()) throw SweepError(at(file, base), section + "base_file", "expected a file path");
        block.base_file = dir / base.Scalar();
        block.base_file_location = at(file, base);
    }
    if (const YAML::Node params = node["params"]) {
        expect_map(params, file, section + "params");
        block.params = to_json(params, file, "", &block.params_where);
    }
    if (const YAML::Node grid = node["grid"]) {
        expect_map(grid, file, section + "grid");
        for (const auto& entry : grid) {
            block.grid.push_back(axis_from(section + "grid", entry.first.as<std::string>(), entry.second,
                                           file, at(file, entry.first)));
        }
    }
    if (const YAML::Node zip = node["zip"]) {
        expect_map(zip, file, section + "zip");
        std::optional<Axis> folded;
        for (const auto& entry : zip) {
            Axis axis = axis_from(section + "zip", entry.first.as<std::string>(), entry.second, file,
                                  at(file, entry.first));
            if (!folded) {
                folded = std::move(axis);
                continue;
            }
            if (axis.points.size() != folded->points.size()) {
                throw SweepError(axis.location, axis.name,
                                 "has " + std::to_string(axis.points.size()) + " values but " +
                                     folded->name + " has " + std::to_string(folded->points.size()));
            }
            for (std::size_t i = 0; i < axis.points.size(); ++i) {
                AxisPoint& p = folded->points[i];
                for (const auto& [k, v] : axis.points[i].sets.items()) p.sets[k] = v;
                p.tags.update(axis.points[i].tags);
                p.where.insert(axis.points[i].where.begin(), axis.points[i].where.end());
            }
        }
        if (folded) {
            folded->name = section + "zip";
            block.zip = std::move(folded);
        }
    }
    if (const YAML::Node jobs = node["jobs"]) {
        Axis axis{section + "jobs", {}, at(file, jobs)};
        if (!jobs.IsSequence()) throw SweepError(axis.location, axis.name, "expected a list of mappings");
        if (jobs.size() == 0) throw SweepError(axis.location, axis.name, "list is empty");
        for (const YAML::Node& j : jobs) {
            if (!j.IsMap()) throw SweepError(at(file, j), axis.name, "expected a mapping of parameters to set");
            axis.points.push_back(point_from(j, file, "", axis.name));
        }
        block.jobs = std::move(axis);
    }
    if (const YAML::Node repeat = node["repeat"]) {
        // N runs that differ only by index, e.g. seeds derived as "base + 1 + index".
        Axis axis{section + "repeat", {}, at(file, repeat)};
        const Json count = repeat.IsScalar() ? scalar_to_json(repeat) : Json();
        const auto most = static_cast<long long>(limits::max_jobs);
        if (!count.is_number_integer() || count.get<long long>() < 1 || count.get<long long>() > most) {
            throw SweepError(axis.location, axis.name, "expected a whole number of runs from 1 to " + std::to_string(most));
        }
        axis.points.resize(count.get<std::size_t>(), AxisPoint{});
        block.repeat = std::move(axis);
    }
    if (const YAML::Node derive = node["derive"]) {
        expect_map(derive, file, section + "derive");
        for (const auto& entry : derive) {
            const std::string key = entry.first.as<std::string>();
            const Location where = at(file, entry.second);
            if (!entry.second.IsScalar()) {
                throw SweepError(where, "derive." + key, "expected an expression");
            }
            try {
                block.derive.push_back({key, Expression::parse(entry.second.Scalar()), where});
            } catch (const ExpressionError& e) {
                // The error stays one short line however long the expression is.
                const std::string& text = entry.second.Scalar();
                throw SweepError(where, "derive." + key,
                                 std::string(e.what()) + " at character " + std::to_string(e.position + 1) + " of '" +
                                     (text.size() > 80 ? text.substr(0, 80) + "...": text) + "'");
            }
        }
    }
    if (const YAML::Node resources = node["resources"]) {
        expect_map(resources, file, section + "resources");
        require_keys(resources, file, "resources", {"cpus"});
        const YAML::Node cpus = resources["cpus"];
        const Json value = cpus && cpus.IsScalar() ? scalar_to_json(cpus) : Json();
        if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > limits::max_threads) {
            throw SweepError(at(file, cpus ? cpus : resources), section + "resources.cpus",
                             "expected a whole number of cores from 1 to " + std::to_string(limits::max_threads));
        }
        block.cpus = value.get<int>();
    }
    parse_exec_keys(node, file, section, block);
    // An evolution sweep's `evolution:` block becomes the parameter subtree `evolution`, so that
    // grids can set `evolution.seed`; expansion takes it out before the model sees the parameters.
    if (const YAML::Node evolution = node["evolution"]) {
        expect_map(evolution, file, section + "evolution");
        block.params_where["evolution"] = at(file, evolution);
        merge_into(block.params, Json{{"evolution", to_json(evolution, file, "evolution", &block.params_where)}});
    }
    if (const YAML::Node tags = node["tags"]) {
        expect_map(tags, file, section + "tags");
        block.tags = to_json(tags, file, "", nullptr);
        for (const auto& [k, v] : block.tags.items()) {
            if (v.is_object() || v.is_array()) {
                throw SweepError(at(file, tags[k]), "tags." + k, "a tag must be a single value");
            }
        }
    }
    return block;
}

struct BaseFile {
    Json params;
    LocationMap where;
};

BaseFile load_base_file(const fs::path& path, const Location& referenced_at) {
    std::error_code ec;
    if (fs::equivalent(path, referenced_at.file, ec)) {
        throw SweepError(referenced_at, "base_file", "'" + path.string() + "' is the sweep file itself");
    }
    const YAML::Node root = load_yaml(read_input_file(path, referenced_at, "base_file"), path.string());
    if (!root.IsMap()) throw SweepError({path.string(), 1, 1}, "", "a base file must be a mapping of parameters");
    check_unique_keys(root, path.string());
    BaseFile base;
    base.params = to_json(root, path.string(), "", &base.where);
    return base;
}

Block compose(const RawBlock& top, const RawBlock* own, const std::string& block_name,
              std::map<fs::path, BaseFile>& base_cache) {
    Block block;
    block.name = block_name;
    block.location = own ? own->location : top.location;
    const RawBlock& base_owner = own && own->base_file ? *own : top;
    if (base_owner.base_file) {
        auto it = base_cache.find(*base_owner.base_file);
        if (it == base_cache.end()) {
            it = base_cache.emplace(*base_owner.base_file,
                                    load_base_file(*base_owner.base_file, base_owner.base_file_location)).first;
        }
        block.params = it->second.params;
        block.where = it->second.where;
    }
    auto add_params = [&](const RawBlock& raw) {
        merge_into(block.params, raw.params);
        for (const auto& [k, v] : raw.params_where) block.where[k] = v;
    };
    add_params(top);
    if (own) add_params(*own);
    auto add_axes = [&](const RawBlock& raw) {
        for (const Axis& a : raw.grid) block.axes.push_back(a);
    };
    add_axes(top);
    if (own) add_axes(*own);
    for (const RawBlock* raw : {&top, own}) {
        if (raw && raw->zip) block.axes.push_back(*raw->zip);
    }
    for (const RawBlock* raw : {&top, own}) {
        if (raw && raw->jobs) block.axes.push_back(*raw->jobs);
    }
    for (const RawBlock* raw : {&top, own}) {
        if (raw && raw->repeat) block.axes.push_back(*raw->repeat);
    }
    block.derive = top.derive;
    if (own) {
        for (const Derivation& d : own->derive) {
            auto same = std::find_if(block.derive.begin(), block.derive.end(),
                                     [&](const Derivation& x) { return x.key == d.key; });
            if (same != block.derive.end()) *same = d;
            else block.derive.push_back(d);
        }
    }
    block.tags = top.tags;
    if (own) block.tags.update(own->tags);
    block.cpus = own && own->cpus ? *own->cpus : top.cpus.value_or(1);
    return block;
}

// "key=value" of a --set or --grid option; the key is a dotted parameter name.
std::pair<std::string, std::string> split_override(const std::string& text, const std::string& option) {
    const Location where{option, 0, 0};
    const auto eq = text.find('=');
    if (eq == std::string::npos || eq == 0) throw SweepError(where, "", "'" + text + "': expected key=value");
    const std::string key = text.substr(0, eq);
    const bool name_like =
        key.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == std::string::npos &&
        key.front() != '.' && key.back() != '.' && key.find("..") == std::string::npos;
    if (!name_like) throw SweepError(where, key, "not a parameter name (letters, digits, '_', '-', dotted paths)");
    return {key, text.substr(eq + 1)};
}

// Two dotted keys touch the same value when one is the other or lies inside it (lr and lr.symm).
bool overlaps(const std::string& a, const std::string& b) {
    const auto inside = [](const std::string& inner, const std::string& outer) {
        return inner.size() > outer.size() && inner.compare(0, outer.size(), outer) == 0 && inner[outer.size()] == '.';
    };
    return a == b || inside(a, b) || inside(b, a);
}

bool is_grid_axis_of(const Axis& axis, const std::string& key) {
    const std::string suffix = "grid." + key;
    const bool named = axis.name == suffix ||
                       (axis.name.size() > suffix.size() &&
                        axis.name.compare(axis.name.size() - suffix.size() - 1, std::string::npos, "." + suffix) == 0);
    return named && std::all_of(axis.points.begin(), axis.points.end(),
                                [&](const AxisPoint& p) { return p.sets.size() == 1 && p.sets.contains(key); });
}

// Refuses an override of a key that something other than a plain grid axis of it sets: that
// value would silently win over the override.
void check_overridable(const Block& block, const std::string& key, const std::string& option, const fs::path& file) {
    const Location where{option, 0, 0};
    for (const Axis& axis : block.axes) {
        if (is_grid_axis_of(axis, key)) continue;
        for (const AxisPoint& point : axis.points) {
            for (const auto& [set, value] : point.sets.items()) {
                if (overlaps(set, key)) {
                    throw SweepError(where, key, "set by " + axis.name + " in " + file.string() + ": edit the file instead");
                }
            }
        }
    }
    for (const Derivation& d : block.derive) {
        if (overlaps(d.key, key)) {
            throw SweepError(where, key, "set by derive." + d.key + " in " + file.string() + ": edit the file instead");
        }
    }
}

void apply_overrides(SweepSpec& spec, const SweepOverrides& overrides) {
    for (const std::string& text : overrides.set) {
        const auto [key, value_text] = split_override(text, "--set");
        const Json value = to_json(load_yaml(value_text, "--set " + key), "--set " + key, key, nullptr);
        for (Block& block : spec.blocks) {
            check_overridable(block, key, "--set", spec.file);
            // A fixed value replaces the axis that varied it.
            std::erase_if(block.axes, [&](const Axis& a) { return is_grid_axis_of(a, key); });
            set_path(block.params, key, value);
            block.where[key] = {"--set", 0, 0};
        }
    }
    for (const std::string& text : overrides.grid) {
        const auto [key, values_text] = split_override(text, "--grid");
        const std::string source = "--grid " + key;
        // "0,0.01,0.03" is a list without its brackets; "[...]" and "{linspace: ...}" are YAML as written.
        const bool yaml = !values_text.empty() && (values_text.front() == '[' || values_text.front() == '{');
        const YAML::Node values = load_yaml(yaml ? values_text : "[" + values_text + "]", source);
        const Axis axis = axis_from("grid", key, values, source, {source, 0, 0});
        for (const AxisPoint& point : axis.points) {
            if (point.sets.size() != 1 || !point.sets.contains(key)) {
                throw SweepError({"--grid", 0, 0}, key, "expected plain values, not mappings");
            }
        }
        for (Block& block : spec.blocks) {
            check_overridable(block, key, "--grid", spec.file);
            auto same = std::find_if(block.axes.begin(), block.axes.end(), [&](const Axis& a) { return is_grid_axis_of(a, key); });
            if (same != block.axes.end()) {
                *same = axis;  // in place: the other axes keep their order, and so the jobs theirs
                continue;
            }
            // After the block's last grid axis (axes are grid axes first, then zip, jobs, repeat).
            auto after_grid = std::find_if(block.axes.rbegin(), block.axes.rend(), [](const Axis& a) {
                return a.name.rfind("grid.", 0) == 0 || a.name.find(".grid.") != std::string::npos;
            });
            block.axes.insert(after_grid.base(), axis);
        }
    }
    if (overrides.empty()) return;
    if (!spec.text.empty() && spec.text.back() != '\n') spec.text += '\n';
    spec.text += "# overridden on the command line:\n";
    const std::vector<std::string> args = overrides.arguments();
    for (std::size_t i = 0; i + 1 < args.size(); i += 2) spec.text += "#   " + args[i] + " " + args[i + 1] + '\n';
}

}  // namespace

std::vector<std::string> SweepOverrides::arguments() const {
    std::vector<std::string> out;
    for (const std::string& s : set) out.insert(out.end(), {"--set", s});
    for (const std::string& g : grid) out.insert(out.end(), {"--grid", g});
    return out;
}

SweepError::SweepError(Location where_, std::string key_, std::string reason_)
    : std::runtime_error(format_error(where_, key_, reason_)),
      where(std::move(where_)),
      key(std::move(key_)),
      reason(std::move(reason_)) {}

std::optional<std::string> closest_match(const std::string& word, const std::vector<std::string>& candidates) {
    auto distance = [](const std::string& a, const std::string& b) {
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i) {
            std::size_t diagonal = row[0];
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j) {
                const std::size_t up = row[j];
                row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = up;
            }
        }
        return row[b.size()];
    };
    std::optional<std::string> best;
    std::size_t best_distance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const std::string& c : candidates) {
        const std::size_t d = distance(word, c);
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

SweepSpec load_sweep(const fs::path& file, const SweepOverrides& overrides) {
    SweepSpec spec = parse_sweep(read_input_file(file, {file.string(), 0, 0}, ""), file);
    apply_overrides(spec, overrides);
    return spec;
}

SweepSpec parse_sweep(const std::string& text, const fs::path& file) {
    const std::string name = file.string();
    if (text.size() > limits::max_sweep_file_bytes) {
        throw SweepError({name, 0, 0}, "", "larger than " + std::to_string(limits::max_sweep_file_bytes >> 20) + " MiB");
    }
    const YAML::Node root = load_yaml(text, name);
    if (!root.IsMap()) throw SweepError({name, 1, 1}, "", "a sweep file must be a mapping");
    check_unique_keys(root, name);
    std::vector<std::string> top_keys = block_keys;
    top_keys.insert(top_keys.end(), {"model", "blocks", "timeout", "evolution"});
    require_keys(root, name, "sweep", top_keys);

    SweepSpec spec;
    spec.file = file;
    spec.text = text;
    const YAML::Node sweep_name = root["name"];
    if (!sweep_name || !sweep_name.IsScalar() || sweep_name.Scalar().empty()) {
        throw SweepError({name, 1, 1}, "name", "missing sweep name");
    }
    spec.name = sweep_name.Scalar();
    spec.evolution = static_cast<bool>(root["evolution"]);
    spec.name_location = at(name, sweep_name);
    // The name becomes a folder under the results folder: no separators, no '..'.
    if (spec.name.find_first_of("/\\") != std::string::npos || spec.name == "." || spec.name == ".." ||
        spec.name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") !=
            std::string::npos) {
        throw SweepError(spec.name_location, "name", "may contain only letters, digits, '_', '-' and '.'");
    }
    const YAML::Node model = root["model"];
    if (!model || !model.IsScalar()) throw SweepError({name, 1, 1}, "model", "missing model");
    spec.model = model.Scalar();
    spec.model_location = at(name, model);
    if (spec.model != "exec") {
        // The keys of external programs mean nothing to any other model.
        auto refuse = [&](const YAML::Node& map) {
            for (const std::string& key : exec_keys) {
                if (const YAML::Node value = map[key]) {
                    throw SweepError(at(name, value), key, "only for model: exec (this sweep runs model '" +
                                                               spec.model + "')");
                }
            }
        };
        refuse(root);
        if (const YAML::Node blocks = root["blocks"]; blocks && blocks.IsSequence()) {
            for (const YAML::Node& b : blocks) {
                if (b.IsMap()) refuse(b);
            }
        }
    }
    if (const YAML::Node timeout = root["timeout"]) {
        const Json value = timeout.IsScalar() ? scalar_to_json(timeout) : Json();
        if (!value.is_number() || !(value.get<double>() > 0 && value.get<double>() <= limits::max_timeout_seconds)) {
            throw SweepError(at(name, timeout), "timeout", "expected a positive number of seconds, at most 1e7");
        }
        spec.timeout_seconds = value.get<double>();
    }

    const fs::path dir = file.parent_path();
    const RawBlock top = parse_block(root, name, dir, "");
    std::map<fs::path, BaseFile> base_cache;
    if (const YAML::Node blocks = root["blocks"]) {
        if (!blocks.IsSequence() || blocks.size() == 0) {
            throw SweepError(at(name, blocks), "blocks", "expected a non-empty list of blocks");
        }
        std::set<std::string> names;
        for (std::size_t i = 0; i < blocks.size(); ++i) {
            const YAML::Node b = blocks[i];
            const std::string section = "blocks[" + std::to_string(i) + "].";
            if (!b.IsMap()) throw SweepError(at(name, b), "blocks[" + std::to_string(i) + "]", "expected a mapping");
            require_keys(b, name, "block", block_keys);
            const RawBlock own = parse_block(b, name, dir, section);
            const std::string block_name = own.name.empty() ? "block" + std::to_string(i) : own.name;
            if (!names.insert(block_name).second) {
                throw SweepError(own.location, section + "name", "duplicate block name '" + block_name + "'");
            }
            spec.blocks.push_back(compose(top, &own, block_name, base_cache));
        }
    } else {
        spec.blocks.push_back(compose(top, nullptr, "", base_cache));
    }
    return spec;
}

}  // namespace sr
