#include "core/data/idx.hpp"

#include <zlib.h>

#include <memory>
#include <stdexcept>

namespace sr::data {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const fs::path& path, const std::string& reason) {
    throw std::runtime_error(path.string() + ": " + reason);
}

// The whole file, decompressed when it is gzip (zlib reads plain files unchanged).
std::vector<std::uint8_t> read_all(const fs::path& path) {
    if (!fs::exists(path)) fail(path, "no such file");
    std::unique_ptr<gzFile_s, int (*)(gzFile)> file(gzopen(path.c_str(), "rb"), gzclose);
    if (!file) fail(path, "cannot open");
    std::vector<std::uint8_t> bytes;
    std::uint8_t buffer[1 << 16];
    for (;;) {
        const int n = gzread(file.get(), buffer, sizeof buffer);
        if (n < 0) fail(path, "read error (corrupt gzip?)");
        if (n == 0) break;
        bytes.insert(bytes.end(), buffer, buffer + n);
    }
    return bytes;
}

std::uint32_t big_endian(const std::vector<std::uint8_t>& b, std::size_t at) {
    return (std::uint32_t{b[at]} << 24) | (std::uint32_t{b[at + 1]} << 16) |
           (std::uint32_t{b[at + 2]} << 8) | std::uint32_t{b[at + 3]};
}

// Checks the magic (unsigned bytes, `dims` dimensions) and returns the dimensions.
std::vector<std::size_t> header(const fs::path& path, const std::vector<std::uint8_t>& b, int dims) {
    const std::size_t head = 4 + 4 * static_cast<std::size_t>(dims);
    if (b.size() < head) fail(path, "truncated header");
    const std::uint32_t magic = big_endian(b, 0);
    if (magic != 0x800u + static_cast<std::uint32_t>(dims)) {
        fail(path, "not an IDX file of unsigned bytes with " + std::to_string(dims) +
                       " dimensions (magic " + std::to_string(magic) + ")");
    }
    std::vector<std::size_t> shape;
    std::size_t total = 1;
    for (int d = 0; d < dims; ++d) {
        shape.push_back(big_endian(b, 4 + 4 * static_cast<std::size_t>(d)));
        total *= shape.back();
    }
    if (b.size() != head + total) {
        fail(path, "size " + std::to_string(b.size()) + " bytes, header says " +
                       std::to_string(head + total));
    }
    return shape;
}

}  // namespace

ImageSet ImageSet::slice(std::size_t first, std::size_t n) const {
    if (first + n > count) throw std::out_of_range("ImageSet::slice beyond the set");
    ImageSet out;
    out.count = n;
    out.pixels = pixels;
    out.values.assign(values.begin() + static_cast<std::ptrdiff_t>(first * pixels),
                      values.begin() + static_cast<std::ptrdiff_t>((first + n) * pixels));
    out.labels.assign(labels.begin() + static_cast<std::ptrdiff_t>(first),
                      labels.begin() + static_cast<std::ptrdiff_t>(first + n));
    return out;
}

ImageSet load_idx(const fs::path& images, const fs::path& labels) {
    const std::vector<std::uint8_t> ib = read_all(images);
    const std::vector<std::size_t> ishape = header(images, ib, 3);
    const std::vector<std::uint8_t> lb = read_all(labels);
    const std::vector<std::size_t> lshape = header(labels, lb, 1);
    if (lshape[0] != ishape[0]) {
        fail(labels, std::to_string(lshape[0]) + " labels for " + std::to_string(ishape[0]) +
                         " images in " + images.string());
    }
    ImageSet set;
    set.count = ishape[0];
    set.pixels = ishape[1] * ishape[2];
    set.values.resize(set.count * set.pixels);
    for (std::size_t k = 0; k < set.values.size(); ++k) {
        set.values[k] = static_cast<float>(ib[16 + k]) / 255.0f;
    }
    set.labels.assign(lb.begin() + 8, lb.end());
    return set;
}

fs::path find_idx_file(const fs::path& stem) {
    if (fs::exists(stem)) return stem;
    fs::path gz = stem;
    gz += ".gz";
    if (fs::exists(gz)) return gz;
    fail(stem, "no such file (nor " + gz.filename().string() + ")");
}

}  // namespace sr::data
