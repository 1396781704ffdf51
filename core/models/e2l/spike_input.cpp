#include "core/models/e2l/spike_input.hpp"

#include <hdf5.h>

#include <algorithm>
#include <stdexcept>

namespace sr::e2l {

std::vector<GridEvent> grid_events(const SpikeTrains& trains, const Grid& grid) {
    // Counting sort by step; trains are visited in order, so each step's events come out by train.
    std::vector<std::int64_t> steps(trains.times.size());
    std::int64_t max_step = 0;
    for (std::size_t j = 0; j < steps.size(); ++j) {
        steps[j] = grid.step_of(trains.times[j]);
        if (steps[j] < 1) throw std::invalid_argument("spike times must be positive (NEST rejects spikes at t <= 0)");
        max_step = std::max(max_step, steps[j]);
    }
    std::vector<std::int64_t> start(static_cast<std::size_t>(max_step) + 2, 0);
    for (const std::int64_t s : steps) ++start[static_cast<std::size_t>(s) + 1];
    for (std::size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    std::vector<GridEvent> events(steps.size());
    for (std::size_t i = 0; i < trains.size(); ++i) {
        for (auto j = static_cast<std::size_t>(trains.offsets[i]); j < static_cast<std::size_t>(trains.offsets[i + 1]); ++j) {
            const auto slot = static_cast<std::size_t>(start[static_cast<std::size_t>(steps[j])]++);
            events[slot] = {steps[j], static_cast<std::int32_t>(i)};
        }
    }
    return events;
}

namespace {

// Owns one HDF5 identifier.
class Handle {
public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Handle() {
        if (id_ >= 0) close_(id_);
    }
    Handle(const Handle&) = delete;
    Handle& operator=(const Handle&) = delete;
    operator hid_t() const { return id_; }
    bool ok() const { return id_ >= 0; }

private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

}  // namespace

Hdf5Reader::Hdf5Reader(const std::string& path) : path_(path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (H5Fis_hdf5(path.c_str()) <= 0) throw std::runtime_error(path + ": not a readable HDF5 file");
    file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file_ < 0) throw std::runtime_error(path + ": cannot open");
}

Hdf5Reader::~Hdf5Reader() { H5Fclose(static_cast<hid_t>(file_)); }

bool Hdf5Reader::exists(const std::string& object) const {
    // Each path component must exist before the next can be asked for.
    std::size_t pos = 0;
    while ((pos = object.find('/', pos + 1)) != std::string::npos) {
        if (H5Lexists(static_cast<hid_t>(file_), object.substr(0, pos).c_str(), H5P_DEFAULT) <= 0) return false;
    }
    return H5Lexists(static_cast<hid_t>(file_), object.c_str(), H5P_DEFAULT) > 0;
}

namespace {

template <class T>
std::vector<T> read_dataset(hid_t file, const std::string& path, const std::string& name, hid_t mem_type) {
    Handle dataset(H5Dopen2(file, name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.ok()) throw std::runtime_error(path + ": no dataset '" + name + "'");
    Handle space(H5Dget_space(dataset), H5Sclose);
    const hssize_t n = H5Sget_simple_extent_npoints(space);
    std::vector<T> values(static_cast<std::size_t>(std::max<hssize_t>(n, 0)));
    if (n > 0 && H5Dread(dataset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0) {
        throw std::runtime_error(path + ": cannot read dataset '" + name + "' as numbers");
    }
    return values;
}

}  // namespace

std::vector<double> Hdf5Reader::reals(const std::string& dataset) const {
    return read_dataset<double>(static_cast<hid_t>(file_), path_, dataset, H5T_NATIVE_DOUBLE);
}

std::vector<std::int64_t> Hdf5Reader::integers(const std::string& dataset) const {
    return read_dataset<std::int64_t>(static_cast<hid_t>(file_), path_, dataset, H5T_NATIVE_INT64);
}

std::optional<double> Hdf5Reader::attribute(const std::string& object, const std::string& name) const {
    if (!exists(object) || H5Aexists_by_name(static_cast<hid_t>(file_), object.c_str(), name.c_str(), H5P_DEFAULT) <= 0) {
        return std::nullopt;
    }
    Handle attr(H5Aopen_by_name(static_cast<hid_t>(file_), object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
    Handle space(H5Aget_space(attr), H5Sclose);
    double value = 0.0;
    if (H5Sget_simple_extent_npoints(space) != 1 || H5Aread(attr, H5T_NATIVE_DOUBLE, &value) < 0) {
        throw std::runtime_error(path_ + ": attribute '" + name + "' of '" + object + "' is not a number");
    }
    return value;
}

SpikeTrains Hdf5Reader::trains(const std::string& group) const {
    SpikeTrains t;
    t.times = reals(group + "/times");
    t.offsets = integers(group + "/offsets");
    const bool consistent = !t.offsets.empty() && t.offsets.front() == 0 &&
                            t.offsets.back() == static_cast<std::int64_t>(t.times.size()) &&
                            std::is_sorted(t.offsets.begin(), t.offsets.end());
    if (!consistent) throw std::runtime_error(path_ + ": " + group + "/offsets does not index " + group + "/times");
    for (std::size_t i = 0; i < t.size(); ++i) {
        if (!std::is_sorted(t.times.begin() + t.offsets[i], t.times.begin() + t.offsets[i + 1])) {
            throw std::runtime_error(path_ + ": " + group + "/times: train " + std::to_string(i) + " is not ascending");
        }
    }
    return t;
}

}  // namespace sr::e2l
