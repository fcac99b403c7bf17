// llmio/json/impl/writer.hpp: inline bodies of llmio/json/writer.hpp. Not included directly.
#ifndef LLMIO_JSON_IMPL_WRITER_HPP
#define LLMIO_JSON_IMPL_WRITER_HPP

#include <llmio/json/detail/escape.hpp>

#include <cassert>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>

namespace llmio::json {

namespace detail {

/// UTF-8 well-formedness, answered without simdjson for short ASCII text (every key, and most
/// short values): simdjson's validator costs a dispatched call and a padded 64-byte block
/// whatever the length, which was a third of the encoding of a small request (callgrind).
[[nodiscard]] inline bool valid_utf8(std::string_view s) noexcept
{
    constexpr std::size_t short_text = 64;
    if (s.size() <= short_text) {
        std::uint64_t seen = 0;
        std::size_t i = 0;
        for (; i + 8 <= s.size(); i += 8) {
            std::uint64_t word;
            std::memcpy(&word, s.data() + i, 8);
            seen |= word;
        }
        for (; i < s.size(); ++i) {
            seen |= static_cast<unsigned char>(s[i]);
        }
        if ((seen & 0x8080808080808080ULL) == 0) {
            return true;   // ASCII
        }
    }
    return simdjson::validate_utf8(s.data(), s.size());
}

} // namespace detail

inline void writer::reset(std::string& out) noexcept
{
    out_ = &out;
    depth_ = 0;
    after_key_ = false;
    root_done_ = false;
    error_ = json::error{};
}

inline std::error_code writer::error() const noexcept
{
    if (!failed()) {
        return {};
    }
    return make_error_code(error_);
}

inline void writer::fail(json::error e) noexcept
{
    if (!failed()) {
        error_ = e;
    }
}

// Places the separator a value needs and checks that a value may come here: at the top level
// only once; in an object only right after its key; in an array always.
inline bool writer::begin_value()
{
    assert(out_ != nullptr && "json::writer: call reset(out) before writing");
    if (failed()) {
        return false;
    }
    if (depth_ == 0) {
        if (root_done_) {
            fail(json::error::invalid_json);   // a second top-level value
            return false;
        }
        return true;
    }
    std::uint8_t& frame = frames_[depth_ - 1];
    if ((frame & frame_object) != 0) {
        if (!after_key_) {
            fail(json::error::invalid_json);   // a value without a key
            return false;
        }
        after_key_ = false;
        return true;
    }
    if ((frame & frame_has_items) != 0) {
        out_->push_back(',');
    }
    frame |= frame_has_items;
    return true;
}

inline void writer::end_value() noexcept
{
    if (depth_ == 0) {
        root_done_ = true;
    }
}

inline void writer::open(char bracket, std::uint8_t frame)
{
    if (failed()) {
        return;
    }
    if (depth_ == max_depth) {
        fail(json::error::too_deep);
        return;
    }
    if (!begin_value()) {
        return;
    }
    out_->push_back(bracket);
    frames_[depth_++] = frame;
}

inline void writer::close(char bracket, std::uint8_t frame)
{
    if (failed()) {
        return;
    }
    // The innermost container must be of this kind, and an object must not end after a key.
    if (depth_ == 0 || (frames_[depth_ - 1] & frame_object) != frame || after_key_) {
        fail(json::error::invalid_json);
        return;
    }
    out_->push_back(bracket);
    --depth_;
    end_value();
}

inline void writer::begin_object() { open('{', frame_object); }
inline void writer::end_object() { close('}', frame_object); }
inline void writer::begin_array() { open('[', 0); }
inline void writer::end_array() { close(']', 0); }

inline void writer::key(std::string_view name)
{
    assert(out_ != nullptr && "json::writer: call reset(out) before writing");
    if (failed()) {
        return;
    }
    if (depth_ == 0 || (frames_[depth_ - 1] & frame_object) == 0 || after_key_) {
        fail(json::error::invalid_json);   // a key outside an object, or two keys in a row
        return;
    }
    if (!detail::valid_utf8(name)) {
        fail(json::error::invalid_utf8);
        return;
    }
    std::uint8_t& frame = frames_[depth_ - 1];
    if ((frame & frame_has_items) != 0) {
        out_->push_back(',');
    }
    frame |= frame_has_items;
    out_->push_back('"');
    detail::append_escaped(*out_, name);
    out_->append("\":", 2);
    after_key_ = true;
}

inline void writer::string(std::string_view value)
{
    if (failed()) {
        return;
    }
    // Validate before writing anything: simdjson's validator rejects overlongs, surrogates,
    // truncated sequences and code points past U+10FFFF (RFC 3629 section 4), at SIMD speed.
    if (!detail::valid_utf8(value)) {
        fail(json::error::invalid_utf8);
        return;
    }
    if (!begin_value()) {
        return;
    }
    out_->push_back('"');
    detail::append_escaped(*out_, value);
    out_->push_back('"');
    end_value();
}

inline void writer::append_number_text(const char* first, const char* last)
{
    if (!begin_value()) {
        return;
    }
    out_->append(first, static_cast<std::size_t>(last - first));
    end_value();
}

inline void writer::number(std::int64_t value)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    append_number_text(buf, r.ptr);
}

inline void writer::number(std::uint64_t value)
{
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    append_number_text(buf, r.ptr);
}

inline void writer::number(double value)
{
    if (failed()) {
        return;
    }
    if (!std::isfinite(value)) {
        fail(json::error::invalid_number);
        return;
    }
    // -0 keeps its sign only as "-0.0": readers that take "-0" for an integer (simdjson,
    // Python's json) read integer zero.
    if (value == 0 && std::signbit(value)) {
        static constexpr char negative_zero[] = "-0.0";
        append_number_text(negative_zero, negative_zero + sizeof negative_zero - 1);
        return;
    }
    // Shortest round-trip form. Its grammar is a subset of RFC 8259 section 6: an optional
    // '-', digits, an optional fraction, an optional exponent "e+NN" / "e-NN"; never "inf",
    // "nan" or a leading '+'. The longest is 24 characters ("-2.2250738585072014e-308").
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, value);
    // A large integral double may come out as plain digits ("123456789012345680000"), which
    // readers that map digit-only tokens to 64-bit integers reject (simdjson does). Outside the
    // int64 range, use the exponent form: it reads back as the same double everywhere.
    if (std::fabs(value) >= 0x1p63
        && std::string_view(buf, static_cast<std::size_t>(r.ptr - buf)).find_first_of(".e")
            == std::string_view::npos) {
        r = std::to_chars(buf, buf + sizeof buf, value, std::chars_format::scientific);
    }
    append_number_text(buf, r.ptr);
}

template <std::integral T>
    requires(!std::same_as<T, bool>)
void writer::number(T value)
{
    if constexpr (std::is_signed_v<T>) {
        number(static_cast<std::int64_t>(value));
    } else {
        number(static_cast<std::uint64_t>(value));
    }
}

inline void writer::boolean(bool value)
{
    if (!begin_value()) {
        return;
    }
    if (value) {
        out_->append("true", 4);
    } else {
        out_->append("false", 5);
    }
    end_value();
}

inline void writer::null()
{
    if (!begin_value()) {
        return;
    }
    out_->append("null", 4);
    end_value();
}

inline void writer::raw(std::string_view json)
{
    if (failed()) {
        return;
    }
    if (json.empty()) {
        fail(json::error::invalid_json);   // and no null pointer reaches the parser's memcpy
        return;
    }
    // The parser copies `json` into its own padded buffer, reused while large enough, and its
    // tape likewise: no allocation in steady state. A DOM parse validates everything: UTF-8,
    // structure, strings and escapes, numbers, and that nothing but whitespace follows the
    // value.
    const auto parsed = validator_.parse(json.data(), json.size(), true);
    switch (parsed.error()) {
    case simdjson::SUCCESS:
        break;
    case simdjson::MEMALLOC:
        throw std::bad_alloc();   // the documented one exception: the allocator failed
    case simdjson::UTF8_ERROR:
        fail(json::error::invalid_utf8);
        return;
    case simdjson::DEPTH_ERROR:
        fail(json::error::too_deep);
        return;
    default:
        fail(json::error::invalid_json);
        return;
    }
    if (!begin_value()) {
        return;
    }
    out_->append(json.data(), json.size());
    end_value();
}

} // namespace llmio::json

#endif // LLMIO_JSON_IMPL_WRITER_HPP
