#pragma once
// IDX image and label files (the MNIST format, also Fashion-MNIST), plain or gzip-compressed, shared
// by every model that learns from such images.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace sr::data {

// Images as rows of pixel intensities in [0, 1] (byte / 255), with their class labels.
struct ImageSet {
    std::size_t count = 0;
    std::size_t pixels = 0;  // per image (rows * columns of the IDX file)
    std::vector<float> values;  // count x pixels, row-major
    std::vector<int> labels;  // count
    const float* row(std::size_t i) const { return values.data() + i * pixels; }
    // Images [first, first + n) as a new set.
    ImageSet slice(std::size_t first, std::size_t n) const;
};

// Reads an images file (magic 0x803) and its labels file (magic 0x801); `.gz` or plain, decided by
// content. Throws std::runtime_error with one line naming the file and the reason (missing, bad
// magic, truncated, counts differ).
ImageSet load_idx(const std::filesystem::path& images, const std::filesystem::path& labels);

// The path of a data set file that may also exist gzip-compressed: `stem` if present, else
// `stem.gz`; throws naming both when neither exists.
std::filesystem::path find_idx_file(const std::filesystem::path& stem);

}  // namespace sr::data
