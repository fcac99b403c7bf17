// Bodies of llmio/http/response_parser.hpp, second part: what the lines of a response mean.
// The status line, field lines and chunk-size lines, and the framing and persistence decided
// from them (RFC 9112 §4, §5, §6.3, §7.1, §9.3). impl/response_parser.hpp holds the state
// machine that cuts the input into these lines.
#ifndef LLMIO_HTTP_IMPL_RESPONSE_PARSER_HEAD_HPP
#define LLMIO_HTTP_IMPL_RESPONSE_PARSER_HEAD_HPP

#include <llmio/http/detail/chars.hpp>

#include <algorithm>
#include <cstdint>

namespace llmio::http {

inline error response_parser::on_status_line(std::string_view line) noexcept
{
    // status-line = HTTP-version SP status-code SP [ reason-phrase ]   (RFC 9112 §4)
    // HTTP-version = "HTTP/" DIGIT "." DIGIT                           (RFC 9112 §2.3)
    if (line.substr(0, 5) != "HTTP/") {
        return error::bad_status_line;
    }
    const auto digit = [](char c) noexcept { return c >= '0' && c <= '9'; };
    if (line.size() < 8 || !digit(line[5]) || line[6] != '.' || !digit(line[7])) {
        return error::bad_version;
    }
    const int major = line[5] - '0';
    const int minor = line[7] - '0';
    // HTTP/1.x for any x (a higher minor is read as the highest we know, RFC 9110 §6.2), and
    // HTTP/0.9, which some servers still write on a status line. 2.0 and up are not HTTP/1.
    if (!(major == 1 || (major == 0 && minor == 9))) {
        return error::bad_version;
    }
    if (line.size() > 8 && digit(line[8])) {
        return error::bad_version;   // "HTTP/1.01"
    }
    if (line.size() < 9 || line[8] != ' ') {
        return error::bad_status_line;
    }
    const std::string_view code = line.substr(9, 3);
    if (code.size() != 3 || !digit(code[0]) || !digit(code[1]) || !digit(code[2]) || code[0] == '0') {
        return error::bad_status;   // includes "HTTP/1.1  200" (two spaces) and "2 OK"
    }
    std::string_view after = line.substr(12);
    if (!after.empty()) {
        if (after.front() != ' ') {
            return error::bad_status;   // "2000", or a tab
        }
        after.remove_prefix(1);
    }
    if (!detail::all_of(after, detail::cc_field)) {
        return error::bad_reason;
    }
    version_ = 10 * major + minor;
    status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    reason_at_ = static_cast<std::size_t>(after.data() - head_.data());
    reason_size_ = after.size();
    return error{};
}

inline error response_parser::on_field_line(std::string_view line, std::size_t offset, std::vector<field_at>& out,
                                            bool trailer)
{
    // field-line = field-name ":" OWS field-value OWS   (RFC 9112 §5)
    if (out.size() >= options_.limits.header_count) {
        return error::too_many_headers;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || !detail::is_token(line.substr(0, colon))) {
        // No whitespace between name and ':' (RFC 9112 §5.1): it is not a tchar.
        return trailer ? error::bad_trailer : error::bad_header_name;
    }
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = detail::trim_ows(line.substr(colon + 1));
    if (!detail::all_of(value, detail::cc_field)) {
        return trailer ? error::bad_trailer : error::bad_header_value;
    }
    const std::size_t value_offset = value.empty() ? offset + line.size()
                                                   : offset + static_cast<std::size_t>(value.data() - line.data());
    out.push_back({offset, name.size(), value_offset, value.size()});
    if (trailer) {
        // Trailers never frame the message (RFC 9110 §6.5.1): given as received, nothing more.
        return error{};
    }
    if (detail::iequals(name, "content-length")) {
        return on_content_length(value);
    }
    if (detail::iequals(name, "transfer-encoding")) {
        return on_transfer_encoding(value);
    }
    if (detail::iequals(name, "connection")) {
        on_connection(value);
    }
    return error{};
}

inline error response_parser::on_content_length(std::string_view value) noexcept
{
    // Content-Length = 1*DIGIT (RFC 9110 §8.6). A list ("5, 5") is one of the forms a
    // recipient may accept; this parser rejects it rather than guess at intermediaries.
    if (value.empty()) {
        return error::bad_content_length;
    }
    std::uint64_t n = 0;
    for (const char c : value) {
        if (c < '0' || c > '9') {
            return error::bad_content_length;
        }
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (n > (UINT64_MAX - d) / 10) {
            return error::content_length_overflow;
        }
        n = n * 10 + d;
    }
    if (content_length_ && *content_length_ != n) {
        return error::conflicting_content_length;   // RFC 9112 §6.3 rule 5
    }
    if (te_present_) {
        return error::content_length_with_transfer_encoding;   // RFC 9112 §6.3 rule 3
    }
    content_length_ = n;
    return error{};
}

inline error response_parser::on_transfer_encoding(std::string_view value) noexcept
{
    // RFC 9112 §6.3 rule 3: a message with both is a smuggling attempt or a broken server;
    // a client has no safe reading of it. Any Transfer-Encoding, even an empty one, counts.
    if (content_length_) {
        return error::content_length_with_transfer_encoding;
    }
    te_present_ = true;
    // transfer-coding = token *( OWS ";" OWS transfer-parameter ); several fields form one
    // list in order (RFC 9110 §5.3). Only the coding names matter for framing.
    const bool ok = detail::for_each_list_element(value, [this](std::string_view element) noexcept {
        const std::string_view name = detail::trim_ows(element.substr(0, element.find(';')));
        if (!detail::is_token(name)) {
            return false;
        }
        const bool chunked = detail::iequals(name, "chunked");
        if (chunked && te_chunked_seen_) {
            return false;   // RFC 9112 §6.1: chunked MUST NOT be applied more than once
        }
        te_chunked_seen_ = te_chunked_seen_ || chunked;
        te_chunked_final_ = chunked;
        return true;
    });
    return ok ? error{} : error::bad_transfer_encoding;
}

inline void response_parser::on_connection(std::string_view value) noexcept
{
    // Connection = #connection-option (RFC 9110 §7.6.1), case-insensitive tokens.
    (void)detail::for_each_list_element(value, [this](std::string_view option) noexcept {
        if (detail::iequals(option, "close")) {
            connection_close_ = true;
        } else if (detail::iequals(option, "keep-alive")) {
            connection_keep_alive_ = true;
        }
        return true;
    });
}

inline error response_parser::on_head_complete()
{
    upgraded_ = status_ == 101;
    interim_ = status_ >= 100 && status_ < 200 && !upgraded_;
    // RFC 9112 §6.3, in its order: rules 1-2 (no body whatever the fields say), rule 4
    // (Transfer-Encoding), rule 6 (Content-Length), rule 8 (until close). Rule 3 and 5
    // conflicts were rejected as the fields arrived.
    if (head_request_ || status_ < 200 || status_ == 204 || status_ == 304) {
        framing_ = framing::none;
    } else if (te_present_) {
        framing_ = te_chunked_final_ ? framing::chunked : framing::until_close;
    } else if (content_length_) {
        if (*content_length_ > options_.limits.body) {
            return error::body_too_large;
        }
        framing_ = framing::length;
    } else {
        framing_ = framing::until_close;
    }
    // RFC 9112 §9.3: "close" ends it; otherwise HTTP/1.1 persists and HTTP/1.0 only with
    // "keep-alive". §6.1: a HTTP/1.0 message with Transfer-Encoding has faulty framing: close
    // after it.
    keep_alive_ = !connection_close_ && (version_ >= 11 || connection_keep_alive_) &&
                  framing_ != framing::until_close && !upgraded_ && !(te_present_ && version_ < 11);

    std::string_view head = head_;
    reason_ = head.substr(reason_at_, reason_size_);
    fields_.clear();
    for (const field_at& f : field_at_) {
        // No allocation in steady state: fields_ keeps the capacity of the largest head.
        fields_.push_back({head.substr(f.name, f.name_size), head.substr(f.value, f.value_size)});
    }

    switch (framing_) {
    case framing::none:
        state_ = state::done_pending;
        break;
    case framing::length:
        remaining_ = *content_length_;
        state_ = remaining_ == 0 ? state::done_pending : state::body_length;
        break;
    case framing::chunked:
        state_ = state::chunk_size;
        break;
    case framing::until_close:
        state_ = state::body_until_close;
        break;
    }
    return error{};
}

inline error response_parser::on_chunk_size_line(std::string_view line) noexcept
{
    // chunk-size = 1*HEXDIG, then chunk-ext (RFC 9112 §7.1). No whitespace: "a \r\n" and
    // "2 ext\r\n" are rejected, as llhttp does.
    std::size_t digits = 0;
    while (digits < line.size() && detail::is(line[digits], detail::cc_hex)) {
        ++digits;
    }
    if (digits == 0) {
        return error::bad_chunk_size;
    }
    if (digits > options_.limits.chunk_size_digits) {
        return error::chunk_size_too_long;
    }
    std::uint64_t size = 0;
    for (std::size_t i = 0; i < digits; ++i) {
        if (size > (UINT64_MAX >> 4)) {
            return error::chunk_size_too_long;   // only when chunk_size_digits was raised past 16
        }
        size = (size << 4) | detail::hex_value(line[i]);
    }
    const std::string_view extensions = line.substr(digits);
    if (!extensions.empty()) {
        if (extensions.front() != ';') {
            return error::bad_chunk_size;
        }
        if (for_each_chunk_extension(extensions, [](std::string_view, std::string_view) noexcept {})) {
            return error::bad_chunk_extension;
        }
    }
    // The limit is known before any byte of the chunk is read.
    if (size > options_.limits.body - std::min(options_.limits.body, body_bytes_)) {
        return error::body_too_large;
    }
    chunk_size_ = size;
    chunk_extensions_ = extensions;
    if (size == 0) {
        state_ = state::trailers;   // last-chunk: the trailer section follows (RFC 9112 §7.1.2)
        section_bytes_ = 0;
        line_start_ = 0;
        trailer_.clear();
        trailer_at_.clear();
    } else {
        remaining_ = size;
        state_ = state::chunk_data;
    }
    return error{};
}

} // namespace llmio::http

#endif // LLMIO_HTTP_IMPL_RESPONSE_PARSER_HEAD_HPP
