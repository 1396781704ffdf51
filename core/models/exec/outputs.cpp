#include "core/models/exec/outputs.hpp"

#include "core/limits.hpp"

#include "core/params.hpp"

#include <hdf5.h>
#include <zip.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace sr::exec {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const std::string& label, const std::string& reason) {
    throw std::runtime_error(label + ": " + reason);
}

void add_metric(Result& result, const std::string& name, double value, const std::string& label) {
    if (!result.metrics.emplace(name, value).second) fail(label, "metric '" + name + "' is given twice");
}

void add_array(Result& result, const std::string& name, Array array, const std::string& label) {
    // "params" and "metrics" are the payload's own groups.
    if (name == "params" || name == "metrics" || name.empty()) fail(label, "array name '" + name + "' is reserved");
    if (!result.arrays.emplace(name, std::move(array)).second) fail(label, "array '" + name + "' is given twice");
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error(path.string() + ": cannot read");
    // Untrusted output is read whole: a runaway program's file must not exhaust memory.
    std::error_code ec;
    if (const auto size = fs::file_size(path, ec); !ec && size > limits::max_json_bytes) {
        throw std::runtime_error(path.string() + ": larger than " + std::to_string(limits::max_json_bytes >> 30) +
                                 " GiB, the most a result file may be");
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// ---- JSON --------------------------------------------------------------------------------------

// Python's json module writes NaN, Infinity and -Infinity bare; they become strings here so that a
// NaN metric is reported as NaN rather than as malformed JSON.
std::string quote_non_finite(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            out += c;
            if (c == '\\' && i + 1 < text.size()) out += text[++i];
            else if (c == '"') in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
            out += c;
        } else if (text.compare(i, 3, "NaN") == 0) {
            out += "\"NaN\"";
            i += 2;
        } else if (text.compare(i, 9, "-Infinity") == 0) {
            out += "\"-Infinity\"";
            i += 8;
        } else if (text.compare(i, 8, "Infinity") == 0) {
            out += "\"Infinity\"";
            i += 7;
        } else {
            out += c;
        }
    }
    return out;
}

bool special_number(const Json& v, double& out) {
    if (!v.is_string()) return false;
    const std::string& s = v.get_ref<const std::string&>();
    if (s == "NaN") out = std::numeric_limits<double>::quiet_NaN();
    else if (s == "Infinity") out = std::numeric_limits<double>::infinity();
    else if (s == "-Infinity") out = -std::numeric_limits<double>::infinity();
    else return false;
    return true;
}

void json_metrics(const Json& node, const std::string& prefix, const std::string& label, Result& result) {
    for (const auto& [key, value] : node.items()) {
        const std::string name = prefix.empty() ? key : prefix + "." + key;
        double x = 0;
        if (value.is_object()) json_metrics(value, name, label, result);
        else if (value.is_number()) add_metric(result, name, value.get<double>(), label);
        else if (value.is_boolean()) add_metric(result, name, value.get<bool>() ? 1.0 : 0.0, label);
        else if (special_number(value, x)) add_metric(result, name, x, label);
        else fail(label, "metric '" + name + "' is " + value.dump() + ", expected a number");
    }
}

Array json_array(const Json& value, const std::string& name, const std::string& label) {
    std::vector<std::size_t> shape;
    for (const Json* node = &value; node->is_array(); node = &node->front()) {
        shape.push_back(node->size());
        if (node->empty()) break;
    }
    std::vector<const Json*> leaves;
    const std::string bad = "array '" + name + "' is not a rectangular list of numbers";
    auto walk = [&](auto&& self, const Json& node, std::size_t depth) -> void {
        if (depth == shape.size()) {
            if (node.is_array() || node.is_object()) fail(label, bad);
            leaves.push_back(&node);
            return;
        }
        if (!node.is_array() || node.size() != shape[depth]) fail(label, bad);
        for (const Json& child : node) self(self, child, depth + 1);
    };
    walk(walk, value, 0);
    bool integer = !leaves.empty();
    for (const Json* leaf : leaves) {
        double x = 0;
        if (leaf->is_number_float() || special_number(*leaf, x)) integer = false;
        else if (!leaf->is_number() && !leaf->is_boolean()) fail(label, bad + " (found " + leaf->dump() + ")");
    }
    if (integer) {
        std::vector<std::int64_t> values;
        for (const Json* leaf : leaves) {
            values.push_back(leaf->is_boolean() ? (leaf->get<bool>() ? 1 : 0) : leaf->get<std::int64_t>());
        }
        return Array::integer(shape, std::move(values));
    }
    std::vector<double> values;
    for (const Json* leaf : leaves) {
        double x = 0;
        if (special_number(*leaf, x)) values.push_back(x);
        else if (leaf->is_boolean()) values.push_back(leaf->get<bool>() ? 1.0 : 0.0);
        else values.push_back(leaf->get<double>());
    }
    return Array::real(shape, std::move(values));
}

void json_arrays(const Json& node, const std::string& prefix, const std::string& label, Result& result) {
    for (const auto& [key, value] : node.items()) {
        const std::string name = prefix.empty() ? key : prefix + "." + key;
        if (value.is_object()) json_arrays(value, name, label, result);
        else add_array(result, name, json_array(value, name, label), label);
    }
}

// ---- HDF5 --------------------------------------------------------------------------------------

class H5 {
public:
    H5(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~H5() {
        if (id_ >= 0) close_(id_);
    }
    H5(const H5&) = delete;
    H5& operator=(const H5&) = delete;
    operator hid_t() const { return id_; }
    bool ok() const { return id_ >= 0; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

herr_t collect_attribute(hid_t, const char* name, const H5A_info_t*, void* data) {
    static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
}

herr_t collect_dataset(hid_t, const char* name, const H5O_info_t* info, void* data) {
    if (info->type == H5O_TYPE_DATASET) static_cast<std::vector<std::string>*>(data)->push_back(name);
    return 0;
}

void read_hdf5(const fs::path& path, const std::string& label, Result& result) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (H5Fis_hdf5(path.c_str()) <= 0) fail(label, "not an HDF5 file");
    H5 file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) fail(label, "cannot open as HDF5");
    std::vector<std::string> attributes;
    H5Aiterate2(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_attribute, &attributes);
    for (const std::string& name : attributes) {
        H5 attr(H5Aopen(file, name.c_str(), H5P_DEFAULT), H5Aclose);
        H5 type(H5Aget_type(attr), H5Tclose);
        H5 space(H5Aget_space(attr), H5Sclose);
        const H5T_class_t cls = H5Tget_class(type);
        if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || H5Sget_simple_extent_npoints(space) != 1) continue;
        double value = 0;
        if (H5Aread(attr, H5T_NATIVE_DOUBLE, &value) < 0) fail(label, "cannot read attribute '" + name + "'");
        add_metric(result, name, value, label);
    }
    std::vector<std::string> datasets;
    H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, collect_dataset, &datasets, H5O_INFO_BASIC);
    for (const std::string& path_name : datasets) {
        std::string name = path_name;
        for (char& c : name) {
            if (c == '/') c = '.';
        }
        H5 dataset(H5Dopen2(file, path_name.c_str(), H5P_DEFAULT), H5Dclose);
        H5 type(H5Dget_type(dataset), H5Tclose);
        H5 space(H5Dget_space(dataset), H5Sclose);
        const H5T_class_t cls = H5Tget_class(type);
        if (cls != H5T_INTEGER && cls != H5T_FLOAT) {
            fail(label, "dataset '" + path_name + "' is not numeric (integer or float)");
        }
        const int rank = H5Sget_simple_extent_ndims(space);
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        std::vector<std::size_t> shape(dims.begin(), dims.end());
        std::size_t count = 1;
        for (std::size_t d : shape) count *= d;
        if (cls == H5T_FLOAT) {
            std::vector<double> values(count);
            if (count > 0 && H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
                fail(label, "cannot read dataset '" + path_name + "'");
            }
            if (rank == 0) add_metric(result, name, values.at(0), label);
            else add_array(result, name, Array::real(shape, std::move(values)), label);
        } else {
            std::vector<std::int64_t> values(count);
            if (count > 0 && H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
                fail(label, "cannot read dataset '" + path_name + "'");
            }
            if (rank == 0) add_metric(result, name, static_cast<double>(values.at(0)), label);
            else add_array(result, name, Array::integer(shape, std::move(values)), label);
        }
    }
}

// ---- NPY / NPZ ---------------------------------------------------------------------------------

std::uint64_t le(const std::string& b, std::size_t at, int bytes, const std::string& label) {
    if (at + static_cast<std::size_t>(bytes) > b.size()) fail(label, "truncated file");
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(b[at + static_cast<std::size_t>(i)]);
    return v;
}

// The value of 'key' in the header dict ("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }").
std::string header_field(const std::string& header, const std::string& key, const std::string& label) {
    const std::size_t k = header.find("'" + key + "'");
    if (k == std::string::npos) fail(label, "npy header has no '" + key + "'");
    std::size_t i = header.find(':', k);
    if (i == std::string::npos) fail(label, "malformed npy header");
    ++i;
    while (i < header.size() && header[i] == ' ') ++i;
    if (i >= header.size()) fail(label, "malformed npy header");
    std::size_t end;
    if (header[i] == '\'' || header[i] == '"') {
        end = header.find(header[i], i + 1);
        if (end == std::string::npos) fail(label, "malformed npy header");
        return header.substr(i + 1, end - i - 1);
    }
    if (header[i] == '(') {
        end = header.find(')', i);
        if (end == std::string::npos) fail(label, "malformed npy header");
        return header.substr(i, end - i + 1);
    }
    end = header.find_first_of(",}", i);
    return header.substr(i, end - i);
}

// Product of the dimensions (times `width`), refusing what does not fit in memory anyway.
std::size_t checked_count(const std::vector<std::size_t>& shape, std::size_t width, const std::string& label) {
    std::size_t count = width;
    for (std::size_t d : shape) {
        if (d != 0 && count > (std::size_t{1} << 40) / d) fail(label, "array too large");
        count *= d;
    }
    return count;
}

}  // namespace

Array parse_npy(const std::string& b, const std::string& label) {
    if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0) fail(label, "not an .npy array");
    const int major = static_cast<unsigned char>(b[6]);
    const std::size_t header_len = major == 1 ? le(b, 8, 2, label) : le(b, 8, 4, label);
    const std::size_t header_at = major == 1 ? 10 : 12;
    if (header_at + header_len > b.size()) fail(label, "truncated .npy header");
    const std::string header = b.substr(header_at, header_len);
    const std::string descr = header_field(header, "descr", label);
    const bool fortran = header_field(header, "fortran_order", label).find("True") != std::string::npos;
    const std::string shape_text = header_field(header, "shape", label);
    std::vector<std::size_t> shape;
    for (std::size_t i = 0; i < shape_text.size();) {
        if (std::isdigit(static_cast<unsigned char>(shape_text[i]))) {
            std::size_t value = 0;
            while (i < shape_text.size() && std::isdigit(static_cast<unsigned char>(shape_text[i]))) {
                if (value > (std::size_t{1} << 40)) fail(label, "array too large");
                value = value * 10 + static_cast<std::size_t>(shape_text[i++] - '0');
            }
            shape.push_back(value);
        } else {
            ++i;
        }
    }
    if (descr.size() < 3) fail(label, "unsupported dtype '" + descr + "'");
    const char order = descr[0];
    const char kind = descr[1];
    const int width = std::atoi(descr.c_str() + 2);
    const bool ok_kind = (kind == 'f' && (width == 4 || width == 8)) ||
                         ((kind == 'i' || kind == 'u') && (width == 1 || width == 2 || width == 4 || width == 8)) ||
                         (kind == 'b' && width == 1);
    if (!ok_kind || (order != '<' && order != '>' && order != '|' && order != '=')) {
        fail(label, "unsupported dtype '" + descr + "' (expected float, integer or bool)");
    }
    const std::size_t count = checked_count(shape, 1, label);
    const std::size_t data_at = header_at + header_len;
    if (b.size() - data_at < checked_count(shape, static_cast<std::size_t>(width), label)) {
        fail(label, "truncated .npy data");
    }
    const bool swap = order == '>';
    auto element = [&](std::size_t i, unsigned char* out) {
        const char* src = b.data() + data_at + i * static_cast<std::size_t>(width);
        for (int k = 0; k < width; ++k) out[k] = static_cast<unsigned char>(src[swap ? width - 1 - k : k]);
    };
    // Row-major position i of a Fortran-ordered array.
    std::vector<std::size_t> source(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (!fortran || shape.size() < 2) {
            source[i] = i;
            continue;
        }
        std::size_t rest = i, offset = 0, stride = 1;
        std::vector<std::size_t> index(shape.size());
        for (std::size_t d = shape.size(); d-- > 0;) {
            index[d] = rest % shape[d];
            rest /= shape[d];
        }
        for (std::size_t d = 0; d < shape.size(); ++d) {
            offset += index[d] * stride;
            stride *= shape[d];
        }
        source[i] = offset;
    }
    unsigned char raw[8];
    if (kind == 'f') {
        std::vector<double> values(count);
        for (std::size_t i = 0; i < count; ++i) {
            element(source[i], raw);
            if (width == 8) std::memcpy(&values[i], raw, 8);
            else {
                float f;
                std::memcpy(&f, raw, 4);
                values[i] = f;
            }
        }
        return Array::real(shape, std::move(values));
    }
    std::vector<std::int64_t> values(count);
    for (std::size_t i = 0; i < count; ++i) {
        element(source[i], raw);
        std::uint64_t u = 0;
        for (int k = width - 1; k >= 0; --k) u = (u << 8) | raw[k];
        if (kind == 'i' && width < 8 && (u >> (width * 8 - 1)) & 1) u |= ~std::uint64_t{0} << (width * 8);
        values[i] = static_cast<std::int64_t>(u);
    }
    return Array::integer(shape, std::move(values));
}

void read_json_result(const std::string& text, const std::string& label, Result& result) {
    Json root;
    try {
        // Every walk over the result recurses per level: a program writing 30,000 nested lists would
        // overflow the stack and take the whole runner down, so nesting is refused while parsing.
        bool too_deep = false;
        root = Json::parse(quote_non_finite(text), [&](int depth, Json::parse_event_t, Json&) {
            if (depth > limits::max_json_depth) too_deep = true;
            return !too_deep;
        });
        if (too_deep) {
            fail(label, "JSON nested deeper than " + std::to_string(limits::max_json_depth) + " levels");
        }
    } catch (const Json::parse_error& e) {
        fail(label, std::string("malformed JSON: ") + e.what());
    }
    if (!root.is_object()) fail(label, "expected a JSON object {\"metrics\": {...}, \"arrays\": {...}}");
    for (const auto& [key, value] : root.items()) {
        if (key != "metrics" && key != "arrays") {
            fail(label, "unexpected key '" + key + "' (expected \"metrics\" and \"arrays\")");
        }
        if (!value.is_object()) fail(label, "\"" + key + "\" must be an object");
    }
    if (root.contains("metrics")) json_metrics(root["metrics"], "", label, result);
    if (root.contains("arrays")) json_arrays(root["arrays"], "", label, result);
}

void read_npz_result(const std::string& b, const std::string& label, Result& result) {
    if (b.size() < 22) fail(label, "not a zip (.npz) file");  // shorter than an empty archive
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* source = zip_source_buffer_create(b.data(), b.size(), 0, &error);
    if (!source) fail(label, "cannot read zip: out of memory");
    // ZIP_CHECKCONS: the central directory must agree with the local headers (damaged files fail here).
    std::unique_ptr<zip_t, decltype(&zip_discard)> archive(
        zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error), zip_discard);
    if (!archive) {
        zip_source_free(source);
        const std::string why = zip_error_strerror(&error);
        zip_error_fini(&error);
        fail(label, "not a zip (.npz) file: " + why);
    }
    const zip_int64_t entries = zip_get_num_entries(archive.get(), 0);
    for (zip_int64_t i = 0; i < entries; ++i) {
        zip_stat_t stat;
        zip_stat_init(&stat);
        if (zip_stat_index(archive.get(), static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
            !(stat.valid & ZIP_STAT_NAME) || !(stat.valid & ZIP_STAT_SIZE) || !(stat.valid & ZIP_STAT_COMP_SIZE)) {
            fail(label, std::string("bad zip entry: ") + zip_strerror(archive.get()));
        }
        const std::string name = stat.name;
        if (stat.size > 0xFFFFFFFFu) fail(label, "zip entry '" + name + "' is too large");
        // A declared size deflate cannot reach from the stored bytes is a forged header: refuse it
        // before allocating.
        if (stat.size > stat.comp_size * 1032 + 1024) fail(label, "bad zip entry '" + name + "'");
        std::unique_ptr<zip_file_t, decltype(&zip_fclose)> file(
            zip_fopen_index(archive.get(), static_cast<zip_uint64_t>(i), 0), zip_fclose);
        if (!file) fail(label, "cannot open zip entry '" + name + "': " + zip_strerror(archive.get()));
        std::string bytes(stat.size, '\0');
        // libzip checks the CRC when the entry is read to its end, so read one byte past it.
        const zip_int64_t got = zip_fread(file.get(), bytes.data(), stat.size);
        char past_end = 0;
        const zip_int64_t more = got < 0 ? -1 : zip_fread(file.get(), &past_end, 1);
        if (got != static_cast<zip_int64_t>(stat.size) || more != 0) {
            fail(label, "zip entry '" + name + "' is corrupt: " + zip_file_strerror(file.get()));
        }
        std::string array_name = name;
        if (array_name.size() > 4 && array_name.compare(array_name.size() - 4, 4, ".npy") == 0) {
            array_name.resize(array_name.size() - 4);
        }
        Array array = parse_npy(bytes, label + ":" + name);
        if (array.shape.empty()) {
            add_metric(result, array_name, array.is_real() ? array.reals().at(0) : static_cast<double>(array.ints().at(0)),
                       label);
        } else {
            add_array(result, array_name, std::move(array), label);
        }
    }
}

void read_result_file(const fs::path& path, Result& result) {
    const std::string label = path.string();
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) throw std::runtime_error(label + ": missing");
    const std::string ext = path.extension().string();
    if (ext == ".json") {
        read_json_result(read_file(path), label, result);
    } else if (ext == ".h5" || ext == ".hdf5") {
        read_hdf5(path, label, result);
    } else if (ext == ".npz") {
        read_npz_result(read_file(path), label, result);
    } else if (ext == ".npy") {
        Array array = parse_npy(read_file(path), label);
        const std::string name = path.stem().string();
        if (array.shape.empty()) {
            add_metric(result, name, array.is_real() ? array.reals().at(0) : static_cast<double>(array.ints().at(0)), label);
        } else {
            add_array(result, name, std::move(array), label);
        }
    } else {
        throw std::runtime_error(label + ": unsupported result file type '" + ext + "'");
    }
}

}  // namespace sr::exec
