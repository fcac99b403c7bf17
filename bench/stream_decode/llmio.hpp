// gemini_stream_decode with llmio: raw HTTP bytes of back-to-back responses, read into a flat
// buffer in large reads, through gemini::http_stream (HTTP chunked -> SSE -> decoder).
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
    explicit llmio_impl(std::string wire, std::size_t read_size = 64 * 1024)
        : wire_(std::move(wire)), read_size_(read_size), buffer_(2 * read_size + llmio::gemini::json_padding)
    {
    }

    [[nodiscard]] std::uint64_t input_bytes() const noexcept { return wire_.size(); }

    summary run()
    {
        summary s;
        stream_.reset();
        std::size_t offset = 0;
        std::size_t begin = 0;
        std::size_t end = 0;
        std::error_code ec;
        for (;;) {
            // A socket read: append up to read_size_ bytes after what is left unconsumed.
            if (offset < wire_.size()) {
                const std::size_t n = std::min(read_size_, wire_.size() - offset);
                std::memcpy(buffer_.data() + end, wire_.data() + offset, n);
                end += n;
                offset += n;
            }
            else if (begin == end) {
                break;
            }
            for (;;) {
                const std::string_view input(buffer_.data() + begin, end - begin);
                const auto r = stream_.put(input, ec, buffer_.size() - end);
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
            std::memmove(buffer_.data(), buffer_.data() + begin, end - begin);
            end -= begin;
            begin = 0;
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
    std::size_t read_size_;
    std::vector<char> buffer_;
    llmio::gemini::http_stream stream_;
};

} // namespace bench::stream_decode

#endif
