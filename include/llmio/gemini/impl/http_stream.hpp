// Bodies of llmio/gemini/http_stream.hpp.
#ifndef LLMIO_GEMINI_IMPL_HTTP_STREAM_HPP
#define LLMIO_GEMINI_IMPL_HTTP_STREAM_HPP

#include <algorithm>

namespace llmio::gemini {

inline http_stream::http_stream(http_stream_options options)
    : options_(options), http_(options.http), decoder_(options.stream), errors_(options.stream.decoder)
{
}

inline void http_stream::next_response() noexcept
{
    decoder_.reset();
    error_body_.clear();
    unfed_ = 0;
    error_body_mode_ = false;
    body_ended_ = false;
    failed_ = {};
}

inline void http_stream::reset() noexcept
{
    http_.reset();
    next_response();
}

inline std::error_code http_stream::fail(std::error_code ec) noexcept
{
    failed_ = ec;
    return ec;
}

inline http_stream::result http_stream::put(std::string_view input, std::error_code& ec,
                                            std::size_t padding) noexcept
{
    if (failed_) {
        ec = failed_;
        return {0, step::need_more};
    }
    if (body_ended_) {
        return finish_body(0, ec);
    }
    std::size_t used = 0;
    if (unfed_ > 0) {
        // Body bytes the HTTP parser already de-framed but the decoder has not taken yet: they
        // are the first unfed_ bytes of what the caller presents again.
        const std::size_t n = unfed_;
        const result r = feed_body(input.substr(0, n), 0, input.size() - n + padding, ec);
        if (ec || r.what == step::chunk) {
            return r;
        }
        used = n;
    }
    std::error_code http_ec;   // one per call, not per event: constructing one is an out-of-line call
    for (;;) {
        const http::parse_result r = http_.put(input.substr(used), http_ec);
        if (http_ec) {
            ec = fail(http_ec);
            return {used + r.consumed, step::need_more};
        }
        used += r.consumed;
        switch (r.event) {
        case http::parse_event::need_more:
            return {used, step::need_more};
        case http::parse_event::head:
            error_body_mode_ = http_.status() < 200 || http_.status() > 299;
            return {used, step::head};
        case http::parse_event::chunk_header:
            break;
        case http::parse_event::body: {
            const std::string_view body = http_.body();
            if (error_body_mode_) {
                const std::size_t room = options_.max_error_body - error_body_.size();
                error_body_.append(body.substr(0, std::min(room, body.size())));
                break;
            }
            // The parser stops right after the body bytes it reports.
            unfed_ = body.size();
            const result fed = feed_body(body, used - body.size(), input.size() - used + padding, ec);
            if (ec || fed.what == step::chunk) {
                return fed;
            }
            break;
        }
        case http::parse_event::message_done:
            body_ended_ = true;
            return finish_body(used, ec);
        }
    }
}

inline http_stream::result http_stream::feed_body(std::string_view body, std::size_t body_start,
                                                  std::size_t padding_after, std::error_code& ec) noexcept
{
    std::size_t offset = 0;
    while (offset < body.size()) {
        const stream_decoder::result r = decoder_.put(body.substr(offset), ec, padding_after);
        offset += r.consumed;
        if (ec) {
            ec = fail(ec);
            return {body_start + offset, step::need_more};
        }
        if (r.what == stream_decoder::step::chunk) {
            unfed_ = body.size() - offset;
            return {body_start + offset, step::chunk};
        }
    }
    unfed_ = 0;
    return {body_start + body.size(), step::need_more};
}

inline http_stream::result http_stream::finish_body(std::size_t consumed, std::error_code& ec) noexcept
{
    if (error_body_mode_) {
        ec = fail(errors_.decode_error_body(http_.status(), error_body_));
        return {consumed, step::need_more};
    }
    const stream_decoder::result r = decoder_.finish(ec);
    if (ec) {
        ec = fail(ec);
        return {consumed, step::need_more};
    }
    return {consumed, r.what == stream_decoder::step::chunk ? step::chunk : step::done};
}

inline http_stream::result http_stream::put_eof(std::error_code& ec) noexcept
{
    if (failed_) {
        ec = failed_;
        return {0, step::need_more};
    }
    if (body_ended_) {
        return finish_body(0, ec);
    }
    if (const std::error_code http_ec = http_.put_eof()) {
        ec = fail(http_ec);   // the body was cut short: the chunks so far are the partial output
        return {0, step::need_more};
    }
    if (!http_.done()) {
        ec = fail(http::error::eof_in_head);   // closed before a response began
        return {0, step::need_more};
    }
    body_ended_ = true;
    return finish_body(0, ec);
}

} // namespace llmio::gemini

#endif
