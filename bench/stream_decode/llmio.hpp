// gemini_stream_decode with llmio: raw HTTP bytes of back-to-back responses, read into a flat
// windows of 64 KiB reads, through gemini::http_stream (HTTP chunked -> SSE -> decoder).
#ifndef LLMIO_BENCH_STREAM_DECODE_LLMIO_HPP
#define LLMIO_BENCH_STREAM_DECODE_LLMIO_HPP

#include "scenario.hpp"

#include <llmio/gemini/http_stream.hpp>

#include <cstring>
#include <stdexcept>
#include <vector>

namespace bench::stream_decode {

class llmio_impl {
public:
    /// `wire` holds the responses back to back; reads are windows of `read_size` bytes into
    /// it. A socket read would copy into the caller's buffer in the kernel; that copy is not
    /// the library's work, so the windows stand in for it without one.
    explicit llmio_impl(std::string wire, std::size_t read_size = 64 * 1024)
        : wire_(std::move(wire)), size_(wire_.size()), read_size_(read_size)
    {
        wire_.append(llmio::gemini::json_padding, ' ');   // the slack a read buffer has past its data
    }

    [[nodiscard]] std::uint64_t input_bytes() const noexcept { return size_; }

    summary run(bool hash_text = false)
    {
        summary s;
        s.hash_text = hash_text;
        stream_.reset();
        std::size_t begin = 0;   // unconsumed bytes: wire_[begin, end)
        std::size_t end = 0;
        std::error_code ec;
        while (begin < size_) {
            end = std::min(size_, std::max(end, begin) + read_size_);   // one more read arrived
            for (;;) {
                const std::string_view input(wire_.data() + begin, end - begin);
                const auto r = stream_.put(input, ec, wire_.size() - end);
                begin += r.consumed;
                if (ec) {
                    throw std::runtime_error("llmio: " + ec.message());
                }
                if (r.what == llmio::gemini::http_stream::step::need_more) {
                    break;
                }
                if (r.what == llmio::gemini::http_stream::step::chunk) {
                    take(stream_.chunk(), s);
                }
                else if (r.what == llmio::gemini::http_stream::step::done) {
                    stream_.next_response();
                }
            }
        }
        return s;
    }

private:
    static void take(const llmio::gemini::response& r, summary& s) noexcept
    {
        ++s.events;
        s.model_version_bytes += r.model_version.size();
        if (r.usage) {
            s.usage_total += r.usage->total;
        }
        if (r.candidates.empty()) {
            return;
        }
        const llmio::gemini::candidate& c = r.candidates.front();
        for (const llmio::gemini::part& p : c.parts) {
            if (p.thought) {
                s.thought_bytes += p.text.size();
            }
            else if (p.kind == llmio::gemini::part_kind::text) {
                s.add_text(p.text);
            }
            s.signature_bytes += p.thought_signature.size();
            s.function_calls += p.kind == llmio::gemini::part_kind::function_call;
        }
        s.finish_reasons += c.finish != llmio::gemini::finish_reason::none;
        s.safety_ratings += c.safety_ratings.size();
        s.citations += c.citations.size();
    }

    std::string wire_;
    std::size_t size_;
    std::size_t read_size_;
    llmio::gemini::http_stream stream_;
};

} // namespace bench::stream_decode

#endif
