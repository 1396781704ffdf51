#include "db/payload.hpp"

#include <hdf5.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <stdexcept>
#include <utility>
#include <unistd.h>

#include "core/sha256.hpp"

namespace sr {
namespace fs = std::filesystem;
namespace {

// Closes an HDF5 handle on scope exit.
class Handle {
public:
    Handle(hid_t id, herr_t (*close)(hid_t), const std::string& what) : id_(id), close_(close) {
        if (id_ < 0) throw std::runtime_error(what);
    }
    ~Handle() {
        if (id_ >= 0) close_(id_);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    operator hid_t() const { return id_; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

void check(herr_t status, const std::string& what) {
    if (status < 0) throw std::runtime_error(what);
}

void write_string_attribute(hid_t target, const char* name, const std::string& value,
                            const std::string& where) {
    Handle type(H5Tcopy(H5T_C_S1), H5Tclose, where + ": string type");
    check(H5Tset_size(type, std::max<std::size_t>(value.size(), 1)), where + ": string size");
    check(H5Tset_cset(type, H5T_CSET_UTF8), where + ": string charset");
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, where + ": dataspace");
    Handle attr(H5Acreate2(target, name, type, space, H5P_DEFAULT, H5P_DEFAULT), H5Aclose,
                where + ": attribute " + name);
    check(H5Awrite(attr, type, value.c_str()), where + ": write attribute " + name);
}

void write_double_attribute(hid_t target, const std::string& name, double value,
                            const std::string& where) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, where + ": dataspace");
    Handle attr(H5Acreate2(target, name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, where + ": attribute " + name);
    check(H5Awrite(attr, H5T_NATIVE_DOUBLE, &value), where + ": write attribute " + name);
}

void write_int_attribute(hid_t target, const std::string& name, long long value,
                         const std::string& where) {
    Handle space(H5Screate(H5S_SCALAR), H5Sclose, where + ": dataspace");
    Handle attr(H5Acreate2(target, name.c_str(), H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose, where + ": attribute " + name);
    check(H5Awrite(attr, H5T_NATIVE_LLONG, &value), where + ": write attribute " + name);
}

// Scalar parameters become attributes named by their dotted path; lists stay in the params JSON.
void write_param_attributes(hid_t group, const Json& node, const std::string& prefix,
                            const std::string& where) {
    for (const auto& [name, value] : node.items()) {
        const std::string dotted = prefix.empty() ? name : prefix + "." + name;
        if (value.is_object()) {
            write_param_attributes(group, value, dotted, where);
        } else if (value.is_number_integer()) {
            write_int_attribute(group, dotted, value.get<long long>(), where);
        } else if (value.is_number()) {
            write_double_attribute(group, dotted, value.get<double>(), where);
        } else if (value.is_boolean()) {
            write_int_attribute(group, dotted, value.get<bool>() ? 1 : 0, where);
        } else if (value.is_string()) {
            write_string_attribute(group, dotted.c_str(), value.get<std::string>(), where);
        }
    }
}

void fsync_path(const fs::path& path, int flags) {
    const int fd = ::open(path.c_str(), flags);
    if (fd < 0) throw std::runtime_error(path.string() + ": cannot open for fsync: " + std::strerror(errno));
    const int rc = ::fsync(fd);
    const int saved = errno;
    ::close(fd);
    if (rc != 0) throw std::runtime_error(path.string() + ": fsync failed: " + std::strerror(saved));
}

// Texts longer than this go to dense attribute storage: compact storage holds at most 64 kB per
// object header, and a 12,000-element parameter list failed every such job after it had run.
constexpr std::size_t compact_attribute_bytes = 60'000;

bool has_long_text(const Json& node) {
    if (node.is_string()) return node.get_ref<const std::string&>().size() > compact_attribute_bytes;
    if (node.is_object()) {
        for (const auto& [key, value] : node.items()) {
            if (has_long_text(value)) return true;
        }
    }
    return false;
}

// The core driver hands its buffer to these callbacks; the one it frees when the file closes is the
// finished file, kept here instead (per thread: worker threads write payloads at the same time).
// H5Fget_file_image() before closing is not enough: the 1.8 format's superblock checksum is only
// right once the file is closed.
thread_local void* t_closed_image = nullptr;

void* image_malloc(std::size_t size, H5FD_file_image_op_t, void*) { return std::malloc(size); }
void* image_memcpy(void* dest, const void* src, std::size_t size, H5FD_file_image_op_t, void*) {
    return std::memcpy(dest, src, size);
}
void* image_realloc(void* ptr, std::size_t size, H5FD_file_image_op_t, void*) { return std::realloc(ptr, size); }
herr_t image_free(void* ptr, H5FD_file_image_op_t op, void*) {
    if (op == H5FD_FILE_IMAGE_OP_FILE_CLOSE) t_closed_image = ptr;
    else std::free(ptr);
    return 0;
}

// The whole file built in memory (HDF5's core driver, no backing store): all disk I/O is then one
// write() whose errno says what went wrong (a full disk rather than "write dataset series"), and a
// failed write leaves no half-closed HDF5 file for the library to complain about at exit.
std::string file_image(const fs::path& path, const Job& job, const Result& result) {
    const std::string where = path.string();
    const std::string params_json = job.params.dump(), tags_json = job.tags.dump();
    const bool dense = params_json.size() > compact_attribute_bytes || tags_json.size() > compact_attribute_bytes ||
                       has_long_text(job.params);
    Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, where + ": file access properties");
    check(H5Pset_fapl_core(fapl, 1 << 20, /*backing_store=*/0), where + ": in-memory file");
    H5FD_file_image_callbacks_t callbacks{image_malloc, image_memcpy, image_realloc, image_free, nullptr, nullptr, nullptr};
    check(H5Pset_file_image_callbacks(fapl, &callbacks), where + ": in-memory file");
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose, where + ": file creation properties");
    Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, where + ": group creation properties");
    if (dense) {
        // Dense attribute storage needs the 1.8 file format (h5py and HDF5 >= 1.8 read it).
        check(H5Pset_libver_bounds(fapl, H5F_LIBVER_V18, H5F_LIBVER_V18), where + ": file format");
        check(H5Pset_attr_phase_change(fcpl, 0, 0), where + ": dense attributes");
        check(H5Pset_attr_phase_change(gcpl, 0, 0), where + ": dense attributes");
    }
    ssize_t size = -1;
    t_closed_image = nullptr;
    {
        Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, fcpl, fapl), H5Fclose, where + ": cannot create HDF5 file");
        write_string_attribute(file, "key", job.key, where);
        write_string_attribute(file, "sweep", job.sweep, where);
        write_string_attribute(file, "model", job.model, where);
        write_int_attribute(file, "model_version", job.model_version, where);
        write_int_attribute(file, "index", job.index, where);
        write_string_attribute(file, "params_json", params_json, where);
        write_string_attribute(file, "tags_json", tags_json, where);
        write_string_attribute(file, "binary_version", build_info().version, where);
        {
            Handle params(H5Gcreate2(file, "params", H5P_DEFAULT, gcpl, H5P_DEFAULT), H5Gclose, where + ": group params");
            write_param_attributes(params, job.params, "", where);
            Handle metrics(H5Gcreate2(file, "metrics", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose,
                           where + ": group metrics");
            for (const auto& [name, value] : result.metrics) write_double_attribute(metrics, name, value, where);
        }
        for (const auto& [name, array] : result.arrays) {
            std::vector<hsize_t> dims(array.shape.begin(), array.shape.end());
            Handle space(dims.empty() ? H5Screate(H5S_SCALAR)
                                      : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                         H5Sclose, where + ": dataspace for " + name);
            const bool real = array.is_real();
            Handle dataset(H5Dcreate2(file, name.c_str(), real ? H5T_IEEE_F64LE : H5T_STD_I64LE, space,
                                      H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           H5Dclose, where + ": dataset " + name);
            const void* data = real ? static_cast<const void*>(array.reals().data())
                                    : static_cast<const void*>(array.ints().data());
            if (array.size() > 0) {
                check(H5Dwrite(dataset, real ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64, H5S_ALL, H5S_ALL,
                               H5P_DEFAULT, data),
                      where + ": write dataset " + name);
            }
        }
        check(H5Fflush(file, H5F_SCOPE_GLOBAL), where + ": flush");
        size = H5Fget_file_image(file, nullptr, 0);  // the file's length (the buffer is larger)
    }
    const std::unique_ptr<void, void (*)(void*)> closed(std::exchange(t_closed_image, nullptr), std::free);
    if (size < 0 || !closed) throw std::runtime_error(where + ": no file image");
    return std::string(static_cast<const char*>(closed.get()), static_cast<std::size_t>(size));
}

// Writes and fsyncs `bytes` as a new file. A full disk or quota is StorageFull.
void write_durably(const fs::path& path, const std::string& bytes) {
    const auto fail = [&](const std::string& what) {
        const int error = errno;
        const std::string message = path.string() + ": " + what + ": " + std::strerror(error);
        if (error == ENOSPC || error == EDQUOT || error == EFBIG) throw StorageFull(message);
        throw std::runtime_error(message);
    };
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("cannot create");
    std::size_t done = 0;
    while (done < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            ::close(fd);
            errno = error;
            fail("write");
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) {
        const int error = errno;
        ::close(fd);
        errno = error;
        fail("fsync");
    }
    if (::close(fd) != 0) fail("close");
}

}  // namespace

fs::path payload_path(const fs::path& out_dir, const Job& job) {
    return out_dir / job.sweep / job.key.substr(0, 2) / (job.key + ".h5");
}

fs::path job_dir(const fs::path& out_dir, const Job& job) {
    return out_dir / job.sweep / job.key.substr(0, 2) / job.key;
}

std::string write_payload(const fs::path& path, const Job& job, const Result& result) {
    // Library messages go nowhere: errors surface as exceptions naming the file.
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    std::error_code ec;
    fs::create_directories(path.parent_path(), ec);
    if (ec) {
        const std::string message = path.parent_path().string() + ": cannot create folder: " + ec.message();
        if (ec == std::errc::no_space_on_device) throw StorageFull(message);
        throw std::runtime_error(message);
    }
    // A writer killed mid-write leaves its temporary file; the job's next run clears it.
    const std::string temp_prefix = path.filename().string() + ".tmp.";
    for (const auto& entry : fs::directory_iterator(path.parent_path(), ec)) {
        if (entry.path().filename().string().rfind(temp_prefix, 0) == 0) fs::remove(entry.path(), ec);
    }
    fs::path temp = path;
    temp += ".tmp." + std::to_string(::getpid());
    const std::string image = file_image(path, job, result);
    try {
        write_durably(temp, image);
        fs::rename(temp, path);
        fsync_path(path.parent_path(), O_RDONLY | O_DIRECTORY);
        return sha256_hex(image);
    } catch (...) {
        fs::remove(temp, ec);
        throw;
    }
}

PayloadContents read_payload_summary(const fs::path& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const std::string where = path.string();
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                where + ": cannot open HDF5 payload");
    PayloadContents contents;
    auto read_attributes = [&](hid_t object, auto&& on_attribute) {
        H5O_info_t info;
        check(H5Oget_info2(object, &info, H5O_INFO_NUM_ATTRS), where + ": object info");
        for (hsize_t i = 0; i < info.num_attrs; ++i) {
            // By name: dense attribute storage (long texts) has no creation-order index.
            Handle attr(H5Aopen_by_idx(object, ".", H5_INDEX_NAME, H5_ITER_INC, i, H5P_DEFAULT,
                                       H5P_DEFAULT),
                        H5Aclose, where + ": attribute");
            char name[512] = {};
            H5Aget_name(attr, sizeof name, name);
            Handle type(H5Aget_type(attr), H5Tclose, where + ": attribute type");
            if (H5Tget_class(type) == H5T_STRING) {
                std::string value(H5Tget_size(type), '\0');
                Handle mem(H5Tcopy(type), H5Tclose, where + ": type");
                check(H5Aread(attr, mem, value.data()), where + ": read attribute");
                value.resize(std::strlen(value.c_str()));
                on_attribute(std::string(name), Json(value));
            } else {
                double value = 0;
                check(H5Aread(attr, H5T_NATIVE_DOUBLE, &value), where + ": read attribute");
                on_attribute(std::string(name), Json(value));
            }
        }
    };
    read_attributes(file, [&](const std::string& name, Json value) { contents.attributes[name] = value; });
    {
        Handle metrics(H5Gopen2(file, "metrics", H5P_DEFAULT), H5Gclose, where + ": no metrics group");
        read_attributes(metrics, [&](const std::string& name, const Json& value) {
            contents.metrics[name] = value.get<double>();
        });
    }
    H5G_info_t group_info;
    check(H5Gget_info(file, &group_info), where + ": group info");
    for (hsize_t i = 0; i < group_info.nlinks; ++i) {
        char name[512] = {};
        H5Lget_name_by_idx(file, ".", H5_INDEX_NAME, H5_ITER_INC, i, name, sizeof name, H5P_DEFAULT);
        H5O_info_t info;
        check(H5Oget_info_by_name2(file, name, &info, H5O_INFO_BASIC, H5P_DEFAULT), where + ": info");
        if (info.type != H5O_TYPE_DATASET) continue;
        Handle dataset(H5Dopen2(file, name, H5P_DEFAULT), H5Dclose, where + ": dataset");
        Handle space(H5Dget_space(dataset), H5Sclose, where + ": dataspace");
        Handle type(H5Dget_type(dataset), H5Tclose, where + ": type");
        const int rank = H5Sget_simple_extent_ndims(space);
        std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
        if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        contents.datasets.push_back(
            {name, std::vector<std::size_t>(dims.begin(), dims.end()),
             H5Tget_class(type) == H5T_FLOAT ? "float64" : "int64"});
    }
    return contents;
}

Array read_payload_array(const fs::path& path, const std::string& name) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const std::string where = path.string();
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose,
                where + ": cannot open HDF5 payload");
    Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose, where + ": no dataset " + name);
    Handle space(H5Dget_space(dataset), H5Sclose, where + ": dataspace");
    const int rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<std::size_t> shape(dims.begin(), dims.end());
    std::vector<double> values(static_cast<std::size_t>(H5Sget_simple_extent_npoints(space)));
    if (!values.empty()) {
        check(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
              where + ": read " + name);
    }
    return Array::real(std::move(shape), std::move(values));
}

}  // namespace sr
