// Bodies of llmio/http/response_parser.hpp, first part: the state machine that cuts the input
// into lines, body pieces and events. What the lines mean is in impl/response_parser_head.hpp.
#ifndef LLMIO_HTTP_IMPL_RESPONSE_PARSER_HPP
#define LLMIO_HTTP_IMPL_RESPONSE_PARSER_HPP

#include <llmio/http/detail/chars.hpp>

#include <algorithm>
#include <cstring>
#include <new>

namespace llmio::http {

inline response_parser::response_parser(response_parser_options options) : options_(options) {}

inline void response_parser::reset() noexcept
{
    begin_message();
    state_ = state::start;
    failed_ = error{};
    head_request_ = false;
    done_ = false;
}

inline void response_parser::set_head_request(bool on) noexcept
{
    head_request_ = on;
}

inline std::string_view response_parser::header(std::string_view name) const noexcept
{
    for (const field& f : fields_) {
        if (detail::iequals(f.name, name)) {
            return f.value;
        }
    }
    return {};
}

inline void response_parser::begin_message() noexcept
{
    head_.clear();
    line_start_ = 0;
    section_bytes_ = 0;
    field_at_.clear();
    fields_.clear();
    status_ = 0;
    version_ = 0;
    reason_at_ = 0;
    reason_size_ = 0;
    reason_ = {};
    content_length_.reset();
    te_present_ = false;
    te_chunked_seen_ = false;
    te_chunked_final_ = false;
    connection_close_ = false;
    connection_keep_alive_ = false;
    framing_ = framing::none;
    keep_alive_ = false;
    interim_ = false;
    upgraded_ = false;
    done_ = false;
    remaining_ = 0;
    body_bytes_ = 0;
    body_ = {};
    chunk_line_.clear();
    chunk_size_ = 0;
    chunk_extensions_ = {};
    trailer_.clear();
    trailer_at_.clear();
    trailers_.clear();
}

inline parse_result response_parser::fail(std::size_t consumed, error e, std::error_code& ec) noexcept
{
    failed_ = e;
    state_ = state::failed;
    ec = e;
    return {consumed, parse_event::need_more};
}

inline parse_result response_parser::put(std::string_view input, std::error_code& ec) noexcept
{
    if (ec) {
        ec.clear();   // only when set: building an empty error_code calls system_category()
    }
    if (state_ == state::failed) {
        ec = failed_;
        return {0, parse_event::need_more};
    }
    try {
        return parse(input, ec);
    } catch (const std::bad_alloc&) {
        // Only the head and trailer buffers grow, and only up to the limits: failing to grow
        // them means the head was larger than the memory there is (documented on the error).
        return fail(0, error::header_block_too_large, ec);
    }
}

inline parse_result response_parser::parse(std::string_view input, std::error_code& ec)
{
    const parser_limits& limits = options_.limits;
    std::size_t used = 0;
    for (;;) {
        const std::string_view rest = input.substr(used);
        switch (state_) {
        case state::idle:
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            begin_message();
            state_ = state::start;
            continue;

        case state::closed:
            // RFC 9112 §9.6: after a response that closes the connection nothing more is
            // HTTP; whatever follows may be a response smuggled in by a broken intermediary.
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            return fail(used, error::data_after_close, ec);

        case state::switched:
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            return fail(used, error::upgraded, ec);

        case state::failed:
            ec = failed_;
            return {used, parse_event::need_more};

        case state::start:
        case state::fields: {
            const bool in_fields = state_ == state::fields;
            const detail::line_rules rules{limits.line, limits.header_block - section_bytes_,
                                           in_fields ? error::obs_fold : error{}};
            const line_take line = take_line(rest, head_, line_start_, rules);
            used += line.consumed;
            if (line.failed != error{}) {
                return fail(used, line.failed, ec);
            }
            if (!line.complete) {
                return {used, parse_event::need_more};
            }
            section_bytes_ += line.content.size() + 2;
            if (!in_fields) {
                if (line.content.empty()) {
                    // RFC 9112 §2.2: empty lines before the start line are ignored; they still
                    // count against header_block, so a stream of CRLFs cannot run forever.
                    head_.resize(line_start_);
                    continue;
                }
                if (const error e = on_status_line(line.content); e != error{}) {
                    return fail(used, e, ec);
                }
                state_ = state::fields;
                line_start_ = head_.size();
                continue;
            }
            if (!line.content.empty()) {
                const std::size_t offset = static_cast<std::size_t>(line.content.data() - head_.data());
                if (const error e = on_field_line(line.content, offset, field_at_, false); e != error{}) {
                    return fail(used, e, ec);
                }
                line_start_ = head_.size();
                continue;
            }
            if (const error e = on_head_complete(); e != error{}) {
                return fail(used, e, ec);
            }
            if (interim_ && options_.skip_interim) {
                // RFC 9110 §15.2: a client that did not ask for 1xx ignores them; the final
                // response follows on the same connection.
                begin_message();
                state_ = state::start;
                continue;
            }
            return {used, parse_event::head};
        }

        case state::done_pending:
            return finish_message(used);

        case state::body_length:
        case state::chunk_data: {
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, rest.size()));
            body_ = rest.substr(0, n);
            remaining_ -= n;
            body_bytes_ += n;
            if (remaining_ == 0) {
                state_ = state_ == state::body_length ? state::done_pending : state::chunk_data_cr;
            }
            return {used + n, parse_event::body};
        }

        case state::body_until_close: {
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            // The bytes up to the limit are handed out before the error, so the body seen is
            // the same however the input is cut.
            const std::uint64_t room = limits.body > body_bytes_ ? limits.body - body_bytes_ : 0;
            if (room == 0) {
                return fail(used, error::body_too_large, ec);
            }
            const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(room, rest.size()));
            body_ = rest.substr(0, n);
            body_bytes_ += n;
            return {used + n, parse_event::body};
        }

        case state::chunk_size: {
            const line_take line = take_chunk_line(rest);
            used += line.consumed;
            if (line.failed != error{}) {
                return fail(used, line.failed, ec);
            }
            if (!line.complete) {
                return {used, parse_event::need_more};
            }
            if (const error e = on_chunk_size_line(line.content); e != error{}) {
                return fail(used, e, ec);
            }
            return {used, parse_event::chunk_header};
        }

        case state::chunk_data_cr:
        case state::chunk_data_lf: {
            // RFC 9112 §7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF.
            if (rest.empty()) {
                return {used, parse_event::need_more};
            }
            const bool cr = state_ == state::chunk_data_cr;
            if (rest.front() != (cr ? '\r' : '\n')) {
                return fail(used, error::bad_chunk_terminator, ec);
            }
            ++used;
            if (cr) {
                state_ = state::chunk_data_lf;
            } else {
                state_ = state::chunk_size;
                // The previous chunk-size line (chunk_extensions() may view it) was reported
                // in an earlier put(): its buffer is free again.
                chunk_line_.clear();
            }
            continue;
        }

        case state::trailers: {
            const detail::line_rules rules{limits.line, limits.header_block - section_bytes_, error::bad_trailer};
            const line_take line = take_line(rest, trailer_, line_start_, rules);
            used += line.consumed;
            if (line.failed != error{}) {
                return fail(used, line.failed, ec);
            }
            if (!line.complete) {
                return {used, parse_event::need_more};
            }
            section_bytes_ += line.content.size() + 2;
            if (!line.content.empty()) {
                const std::size_t offset = static_cast<std::size_t>(line.content.data() - trailer_.data());
                if (const error e = on_field_line(line.content, offset, trailer_at_, true); e != error{}) {
                    return fail(used, e, ec);
                }
                line_start_ = trailer_.size();
                continue;
            }
            trailers_.clear();
            for (const field_at& f : trailer_at_) {
                trailers_.push_back({std::string_view(trailer_).substr(f.name, f.name_size),
                                     std::string_view(trailer_).substr(f.value, f.value_size)});
            }
            return finish_message(used);
        }
        }
    }
}

inline parse_result response_parser::finish_message(std::size_t consumed) noexcept
{
    done_ = true;
    body_ = {};
    if (upgraded_) {
        state_ = state::switched;
    } else if (interim_ || keep_alive_) {
        // An interim response says nothing about the connection: the final one follows.
        state_ = state::idle;
    } else {
        state_ = state::closed;
    }
    return {consumed, parse_event::message_done};
}

inline std::error_code response_parser::put_eof() noexcept
{
    switch (state_) {
    case state::failed:
        return failed_;
    case state::start:
        if (head_.size() == line_start_) {
            state_ = state::closed;   // nothing but empty lines: no message was in progress
            return {};
        }
        failed_ = error::eof_in_head;
        break;
    case state::fields:
        failed_ = error::eof_in_head;
        break;
    case state::body_length:
        failed_ = error::short_body;
        break;
    case state::chunk_size:
    case state::chunk_data:
    case state::chunk_data_cr:
    case state::chunk_data_lf:
    case state::trailers:
        failed_ = error::eof_in_chunked;
        break;
    case state::done_pending:
    case state::body_until_close:
        // RFC 9112 §6.3 rule 8: the close is the end of a body delimited by it.
        done_ = true;
        state_ = state::closed;
        return {};
    case state::idle:
    case state::closed:
    case state::switched:
        state_ = state::closed;
        return {};
    }
    state_ = state::failed;
    return failed_;
}

inline response_parser::line_take response_parser::take_line(std::string_view input, std::string& buffer,
                                                             std::size_t line_start,
                                                             const detail::line_rules& rules)
{
    if (input.empty()) {
        return {};
    }
    const std::size_t have = buffer.size() - line_start;
    const std::string_view part = input.substr(0, rules.take_at_most(have));
    const void* lf = std::memchr(part.data(), '\n', part.size());
    const std::size_t n = lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - part.data()) : part.size();
    buffer.append(part.data(), n);
    const std::string_view raw = std::string_view(buffer).substr(line_start);
    line_take out;
    out.consumed = n;
    out.failed = detail::first_line_error(raw, have, lf != nullptr, rules);
    if (out.failed != error{} || lf == nullptr) {
        // Without an LF, `part` was all of the input, or a limit was reached and `failed` set.
        return out;
    }
    out.consumed = n + 1;
    if (raw.empty() || raw.back() != '\r') {
        out.failed = error::bad_line_ending;   // LF without CR (RFC 9112 §2.2)
        return out;
    }
    out.complete = true;
    out.content = raw.substr(0, raw.size() - 1);
    return out;
}

inline response_parser::line_take response_parser::take_chunk_line(std::string_view input)
{
    const detail::line_rules rules{options_.limits.line, detail::no_limit, error{}};
    if (input.empty()) {
        return {};
    }
    if (chunk_line_.empty()) {
        // The usual case: the whole line is in the input, read in place without a copy.
        const std::string_view part = input.substr(0, rules.take_at_most(0));
        if (const void* lf = std::memchr(part.data(), '\n', part.size())) {
            const auto n = static_cast<std::size_t>(static_cast<const char*>(lf) - part.data());
            const std::string_view raw = part.substr(0, n);
            line_take out;
            out.consumed = n + 1;
            out.failed = detail::first_line_error(raw, 0, true, rules);
            if (out.failed == error{} && (raw.empty() || raw.back() != '\r')) {
                out.failed = error::bad_line_ending;
            }
            if (out.failed == error{}) {
                out.complete = true;
                out.content = raw.substr(0, raw.size() - 1);
            }
            return out;
        }
    }
    return take_line(input, chunk_line_, 0, rules);
}

} // namespace llmio::http

#endif // LLMIO_HTTP_IMPL_RESPONSE_PARSER_HPP
