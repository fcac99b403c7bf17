// Bodies of llmio/gemini/stream_decoder.hpp.
#ifndef LLMIO_GEMINI_IMPL_STREAM_DECODER_HPP
#define LLMIO_GEMINI_IMPL_STREAM_DECODER_HPP

namespace llmio::gemini {

inline stream_decoder::stream_decoder(stream_options options)
    : options_(options),
      sse_([&] {
          sse::parser_options o = options.sse;
          o.report_other_lines = true;
          return o;
      }()),
      decoder_(options.decoder)
{
}

inline void stream_decoder::reset() noexcept
{
    sse_.reset();
    raw_.clear();
    raw_depth_ = 0;
    raw_in_string_ = false;
    raw_escape_ = false;
    finish_ = finish_reason::none;
    usage_.reset();
    blocked_ = false;
    saw_feedback_ = false;
    saw_candidates_ = false;
    chunks_ = 0;
    failed_ = {};
    finished_ = false;
}

inline std::error_code stream_decoder::fail(std::error_code ec) noexcept
{
    failed_ = ec;
    return ec;
}

inline stream_decoder::result stream_decoder::put(std::string_view body, std::error_code& ec,
                                                  std::size_t padding) noexcept
{
    if (failed_) {
        ec = failed_;
        return {0, step::need_more};
    }
    std::size_t used = 0;
    std::error_code sse_ec;   // one per call, not per event: constructing one is an out-of-line call
    for (;;) {
        const sse::parse_result r = sse_.put(body.substr(used), sse_ec, padding);
        used += r.consumed;
        if (sse_ec) {
            ec = fail(sse_ec);
            return {used, step::need_more};
        }
        switch (r.event) {
        case sse::parse_event::need_more:
            return {used, step::need_more};
        case sse::parse_event::event:
            if (take_event(ec)) {
                return {used, step::chunk};
            }
            break;
        case sse::parse_event::other_line:
            take_line(ec);
            break;
        }
        if (ec) {
            return {used, step::need_more};
        }
    }
}

inline stream_decoder::result stream_decoder::finish(std::error_code& ec) noexcept
{
    if (failed_) {
        ec = failed_;
        return {0, step::need_more};
    }
    if (finished_) {
        return {0, step::done};
    }
    for (;;) {
        std::error_code sse_ec;
        // Gemini fixtures end without a blank line: flush the last event (GEMINI_API.md).
        const sse::parse_result r = sse_.finish(sse_ec, true);
        if (sse_ec) {
            ec = fail(sse_ec);
            return {0, step::need_more};
        }
        if (r.event == sse::parse_event::need_more) {
            break;
        }
        if (r.event == sse::parse_event::event) {
            if (take_event(ec)) {
                return {0, step::chunk};
            }
        }
        else {
            take_line(ec);
        }
        if (ec) {
            return {0, step::need_more};
        }
    }
    if (!raw_.empty()) {
        // A raw object the body cut off: whatever it was, it is not a complete response.
        ec = fail(decode_raw_error());
        return {0, step::need_more};
    }
    if (blocked_ || (saw_feedback_ && !saw_candidates_)) {
        ec = fail(error::prompt_blocked);
        return {0, step::need_more};
    }
    if (finish_ == finish_reason::none) {
        ec = fail(error::truncated_stream);
        return {0, step::need_more};
    }
    if (const std::error_code e = finish_error(finish_)) {
        ec = fail(e);
        return {0, step::need_more};
    }
    finished_ = true;
    return {0, step::done};
}

inline bool stream_decoder::take_event(std::error_code& ec) noexcept
{
    const sse::event& ev = sse_.current();
    if (!raw_.empty()) {
        ec = fail(error::malformed_response);   // events resumed inside a raw error object
        return false;
    }
    if (ev.data.empty()) {
        return false;   // `data:` with nothing: no document to decode
    }
    if (const std::error_code e = decoder_.decode(ev.data, ev.data_padding)) {
        ec = fail(e);   // form 3, `data: {"error":...}`, or malformed JSON
        return false;
    }
    const response& r = decoder_.get();
    ++chunks_;
    if (!r.candidates.empty()) {
        saw_candidates_ = true;
        if (r.candidates.front().finish != finish_reason::none) {
            finish_ = r.candidates.front().finish;
        }
    }
    if (r.feedback) {
        saw_feedback_ = true;
        blocked_ = blocked_ || r.feedback->block != block_reason::none;
    }
    if (r.usage) {
        usage_ = r.usage;
    }
    return true;
}

inline void stream_decoder::take_line(std::error_code& ec) noexcept
{
    // Form 2 of GEMINI_API.md: a raw, pretty-printed {"error": ...} between events. Each of its
    // lines reaches us as a line that is not an SSE field. Other stray lines are unknown fields,
    // which the event-stream rules ignore, and so do we.
    const std::string_view line = sse_.line();
    if (raw_.empty()) {
        const std::size_t start = line.find_first_not_of(" \t");
        if (start == std::string_view::npos || line[start] != '{') {
            return;
        }
    }
    if (raw_.size() + line.size() + 1 > options_.max_raw_error) {
        ec = fail(error::malformed_response);
        return;
    }
    raw_.append(line);
    raw_.push_back('\n');
    for (const char c : line) {
        if (raw_in_string_) {
            if (raw_escape_) {
                raw_escape_ = false;
            }
            else if (c == '\\') {
                raw_escape_ = true;
            }
            else if (c == '"') {
                raw_in_string_ = false;
            }
        }
        else if (c == '"') {
            raw_in_string_ = true;
        }
        else if (c == '{' || c == '[') {
            ++raw_depth_;
        }
        else if (c == '}' || c == ']') {
            --raw_depth_;
        }
    }
    if (raw_depth_ <= 0) {
        ec = fail(decode_raw_error());
    }
}

inline std::error_code stream_decoder::decode_raw_error() noexcept
{
    const std::error_code e = decoder_.decode(raw_, 0);
    raw_.clear();
    if (decoder_.has_api_error()) {
        return e;
    }
    return error::malformed_response;
}

} // namespace llmio::gemini

#endif
