// llmio/json/writer.hpp: a streaming JSON writer that appends to a caller-owned std::string.
//
// The writer produces RFC 8259 JSON and refuses, with a sticky error code, anything that would
// make the document invalid or ambiguous: text that is not UTF-8, NaN and infinities, raw text
// that is not one JSON value, calls that do not form one value. It places commas and colons
// itself from a fixed-size nesting stack, so a caller writes
//
//     llmio::json::writer w(out);
//     w.begin_object();
//     w.key("text");
//     w.string(user_text);
//     w.end_object();
//     if (auto ec = w.error()) { ... }   // out is unspecified after an error
//
// Memory: the writer allocates nothing of its own except the raw-value validator, which grows
// to the largest raw value seen and is kept for reuse. Output goes to the caller's string, whose
// capacity the caller keeps between documents: once both have grown to the largest document,
// writing allocates nothing (the hot-path rule).
//
// Errors: the first error is sticky. Every later call does nothing, `error()` returns it, and
// the content appended to the output since the writer was attached is unspecified (a prefix of
// the document, never the rest of it). Calls never throw except `std::bad_alloc` when the output
// string or the validator must grow and the allocator fails.
#ifndef LLMIO_JSON_WRITER_HPP
#define LLMIO_JSON_WRITER_HPP

#include <llmio/json/error.hpp>

#include <simdjson.h>

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace llmio::json {

class writer {
public:
    /// How many containers may be open at once; the next `begin_object` or `begin_array` fails
    /// with `error::too_deep`. Fixed so the stack needs no heap (raw values do not count: they
    /// are validated as a whole).
    static constexpr std::size_t max_depth = 64;

    /// A writer attached to no output: call `reset(out)` before writing.
    writer() = default;

    /// Attaches to `out`; see `reset`.
    explicit writer(std::string& out) noexcept { reset(out); }

    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;
    writer(writer&&) noexcept = default;
    writer& operator=(writer&&) noexcept = default;
    ~writer() = default;

    /// Starts a new document appended to `out` (its current content is kept; clear it first to
    /// replace it). Clears the error and the nesting state; keeps the validator's memory. The
    /// writer keeps a pointer to `out` until the next `reset` or its destruction: `out` must
    /// outlive every write.
    void reset(std::string& out) noexcept;

    void begin_object();
    void end_object();
    void begin_array();
    void end_array();

    /// A member name inside an object; the next call must write its value. Escaped and
    /// validated like `string`.
    void key(std::string_view name);

    /// A string value. `"` and `\` are escaped, every control character below U+0020 too
    /// (`\b \f \n \r \t` short, the others `\u00XX`, RFC 8259 section 7); all other bytes pass
    /// through unchanged, including U+007F and U+2028/U+2029 (valid in JSON). Text that is not
    /// UTF-8 fails with `error::invalid_utf8` and nothing of it is written.
    void string(std::string_view value);

    void number(std::int64_t value);
    void number(std::uint64_t value);
    /// The shortest text that reads back as the same double (`std::to_chars`), e.g. `0.1`,
    /// `1`, `1e+300`; `-0.0` for negative zero, and the exponent form for integral values
    /// outside the int64 range, so readers that treat digit-only tokens as integers (simdjson,
    /// Python) read back the same double. NaN and infinities fail with `error::invalid_number`.
    void number(double value);
    /// Any other integer type (`int`, `unsigned`, `long long`): written exactly.
    template <std::integral T>
        requires(!std::same_as<T, bool>)
    void number(T value);

    void boolean(bool value);
    void null();

    /// Writes the caller's JSON text (a schema, function arguments) as one value, unchanged.
    /// It must be exactly one complete JSON value, optionally surrounded by whitespace:
    /// anything else fails with `error::invalid_json` (`error::invalid_utf8` when it is not
    /// UTF-8, `error::too_deep` when simdjson's depth limit of 1024 is passed). Numbers must fit
    /// a double or a 64-bit integer, the limit simdjson enforces (RFC 8259 section 9 allows
    /// it). Validation parses `json` with a reused simdjson DOM parser: its memory grows to
    /// several times the largest raw value and is kept.
    void raw(std::string_view json);

    /// The first error since `reset`, or an empty code.
    [[nodiscard]] std::error_code error() const noexcept;
    /// `error()` is set.
    [[nodiscard]] bool failed() const noexcept { return error_ != json::error{}; }
    /// Exactly one top-level value has been written and closed, and no error occurred.
    [[nodiscard]] bool complete() const noexcept { return !failed() && depth_ == 0 && root_done_; }
    /// How many containers are open.
    [[nodiscard]] std::size_t depth() const noexcept { return depth_; }

private:
    static constexpr std::uint8_t frame_object = 1;      // else an array
    static constexpr std::uint8_t frame_has_items = 2;   // a comma precedes the next item

    void fail(json::error e) noexcept;
    [[nodiscard]] bool begin_value();
    void end_value() noexcept;
    void open(char bracket, std::uint8_t frame);
    void close(char bracket, std::uint8_t frame);
    void append_number_text(const char* first, const char* last);

    std::string* out_ = nullptr;
    std::array<std::uint8_t, max_depth> frames_{};
    std::size_t depth_ = 0;
    bool after_key_ = false;   // a key was written: a value must follow
    bool root_done_ = false;   // the top-level value is complete: nothing may follow
    json::error error_{};      // 0: no error
    simdjson::dom::parser validator_;
};

} // namespace llmio::json

#include <llmio/json/impl/writer.hpp>

#endif // LLMIO_JSON_WRITER_HPP
