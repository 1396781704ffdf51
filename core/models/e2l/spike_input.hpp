#pragma once
// Input spike trains of the e2l tasks: the reference fixtures' HDF5 layout (CSR, neuron-major,
// times in ms; ../shared/reference/e2l/README.md) and the grid events a simulation consumes.
#include "core/models/e2l/nest_like.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sr::e2l {

// Train i is times[offsets[i] .. offsets[i+1]), ascending; repeated times are kept.
struct SpikeTrains {
    std::vector<double> times;
    std::vector<std::int64_t> offsets{0};
    std::size_t size() const { return offsets.size() - 1; }
};

// One input spike on the grid, in the order NEST delivers spikes: by step, then by train (node
// id). A train's repeated times stay separate events: NEST 27dc242 unrolls a parrot's spike of
// multiplicity n into n single spikes, each passing the plastic synapse (matching the fixture
// values needs exactly this).
struct GridEvent {
    std::int64_t step;
    std::int32_t input;
};
std::vector<GridEvent> grid_events(const SpikeTrains& trains, const Grid& grid);

// Read-only access to an HDF5 file; errors name the file and the object.
class Hdf5Reader {
public:
    explicit Hdf5Reader(const std::string& path);
    ~Hdf5Reader();
    Hdf5Reader(const Hdf5Reader&) = delete;
    Hdf5Reader& operator=(const Hdf5Reader&) = delete;

    bool exists(const std::string& object) const;
    std::vector<double> reals(const std::string& dataset) const;
    std::vector<std::int64_t> integers(const std::string& dataset) const;
    // Scalar numeric attribute of a group or dataset; nullopt when absent.
    std::optional<double> attribute(const std::string& object, const std::string& name) const;
    // Trains stored as <group>/times and <group>/offsets.
    SpikeTrains trains(const std::string& group) const;

private:
    std::string path_;
    std::int64_t file_ = -1;
};

}  // namespace sr::e2l
