#pragma once
// The project's binary formats (MPI messages between ranks, training checkpoints): values as
// their native bytes, texts behind a length of type Length. Writer and reader run the same build
// on the same kind of machine, so no byte-order or layout conversions.
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace sr {

template <class Length>
class ByteWriter {
public:
    explicit ByteWriter(std::string& out) : out_(out) {}
    // Numbers only: a pointer or a view would be written as its own bytes, not what it shows.
    template <class T>
        requires std::is_arithmetic_v<T>
    ByteWriter& put(T value) {
        out_.append(reinterpret_cast<const char*>(&value), sizeof(T));
        return *this;
    }
    ByteWriter& put(std::string_view text) {
        put(static_cast<Length>(text.size()));
        out_.append(text);
        return *this;
    }
    ByteWriter& put_raw(const void* data, std::size_t size) {
        out_.append(static_cast<const char*>(data), size);
        return *this;
    }

private:
    std::string& out_;
};

// Reads what ByteWriter<Length> wrote. A read past the end either throws runtime_error with the
// message given (messages from another rank), or, without one, yields zeros and leaves ok() false
// for good (checkpoints: the decoder checks at its own pace and rejects the file).
template <class Length>
class ByteReader {
public:
    explicit ByteReader(std::string_view in, const char* truncated_error = nullptr)
        : in_(in), truncated_error_(truncated_error) {}
    bool ok() const { return ok_; }
    // Nothing left to read (or a read failed).
    bool done() const { return !ok_ || pos_ == in_.size(); }
    bool at_end() const { return ok_ && pos_ == in_.size(); }
    void fail() {
        if (truncated_error_ != nullptr) throw std::runtime_error(truncated_error_);
        ok_ = false;
    }
    template <class T>
        requires std::is_arithmetic_v<T>
    T get() {
        T value{};
        take(&value, sizeof(T));
        return value;
    }
    std::string text() {
        const auto size = static_cast<std::size_t>(get<Length>());
        std::string out;
        if (ok_ && size <= in_.size() - pos_) {
            out.assign(in_.substr(pos_, size));
            pos_ += size;
        } else {
            fail();
        }
        return out;
    }
    // Copies the next `size` bytes to `out`; false (and nothing copied) if they are not there.
    bool take(void* out, std::size_t size) {
        if (!ok_ || size > in_.size() - pos_) {
            fail();
            return false;
        }
        std::memcpy(out, in_.data() + pos_, size);
        pos_ += size;
        return true;
    }

private:
    std::string_view in_;
    const char* truncated_error_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

}  // namespace sr
