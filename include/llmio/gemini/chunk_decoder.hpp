// llmio/gemini/chunk_decoder.hpp: one JSON document (a streamed chunk, a unary body or an
// error envelope) decoded with simdjson On-Demand into the view types of response.hpp.
//
// Sans-I/O: the decoder takes text and returns views. It owns every buffer it fills (the
// candidates, parts and ratings arrays, simdjson's string buffer, a padded copy when needed),
// reuses them across documents, and so allocates nothing in steady state once they have grown
// to the largest document seen.
#ifndef LLMIO_GEMINI_CHUNK_DECODER_HPP
#define LLMIO_GEMINI_CHUNK_DECODER_HPP

#include <llmio/gemini/api_error.hpp>
#include <llmio/gemini/error.hpp>
#include <llmio/gemini/response.hpp>

#include <simdjson.h>

#include <cstddef>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio::gemini {

/// simdjson reads (never writes) up to this many bytes past the end of a document.
inline constexpr std::size_t json_padding = simdjson::SIMDJSON_PADDING;

struct decoder_options {
    /// Largest document accepted; larger ones are `malformed_response` (a limit, not a guess:
    /// a streamed chunk carrying an inline image is a few MiB).
    std::size_t max_document = 64 * 1024 * 1024;
};

class chunk_decoder {
public:
    explicit chunk_decoder(decoder_options options = {});

    chunk_decoder(const chunk_decoder&) = delete;
    chunk_decoder& operator=(const chunk_decoder&) = delete;
    chunk_decoder(chunk_decoder&&) noexcept = default;
    chunk_decoder& operator=(chunk_decoder&&) noexcept = default;

    /// Decodes one document.
    ///
    /// `padding` is how many bytes after `json.end()` may be read: with at least `json_padding`
    /// the text is parsed in place, otherwise it is first copied into a reused padded buffer.
    ///
    /// Returns:
    /// - `{}`: `get()` holds the response;
    /// - the classified error when the document is an error envelope (`has_api_error()` is
    ///   then true and `api()` holds it);
    /// - `error::malformed_response` when the text is not JSON, not an object, has trailing
    ///   content, or has none of the fields a response has.
    ///
    /// Every view handed out is valid until the next `decode`, and the raw-JSON views
    /// (`part::args`, `candidate::grounding_metadata`, ...) also only while `json` lives.
    [[nodiscard]] std::error_code decode(std::string_view json, std::size_t padding = 0) noexcept;

    /// Decodes the body of a non-2xx response. Always returns an error: the envelope's
    /// classification when the body is one, else one derived from `http_status` alone (an HTML
    /// page from a proxy, say), with `api().message` showing the start of the body.
    [[nodiscard]] std::error_code decode_error_body(int http_status, std::string_view body,
                                                    std::size_t padding = 0) noexcept;

    /// The last decoded response (empty after an error).
    [[nodiscard]] const response& get() const noexcept { return response_; }

    /// The last document was an error envelope.
    [[nodiscard]] bool has_api_error() const noexcept { return has_api_error_; }
    [[nodiscard]] const api_error& api() const noexcept { return api_error_; }

private:
    using value = simdjson::ondemand::value;

    /// std::allocator, except that `emplace_back()` default-initialises. Every member of the
    /// response.hpp types has a default member initialiser, so that gives the same element;
    /// value-initialisation would first zero-fill it, which GCC lowers to a `rep stos` that
    /// costs more to start than the whole element's stores (one per part and per candidate).
    template <class T>
    struct default_init_allocator : std::allocator<T> {
        template <class U>
        struct rebind {
            using other = default_init_allocator<U>;
        };
        default_init_allocator() = default;
        template <class U>
        default_init_allocator(const default_init_allocator<U>&) noexcept
        {
        }
        template <class U>
        void construct(U* p) noexcept
        {
            ::new (static_cast<void*>(p)) U;
        }
        template <class U, class... Args>
        void construct(U* p, Args&&... args)
        {
            ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
        }
    };
    template <class T>
    using buffer = std::vector<T, default_init_allocator<T>>;

    struct candidate_ranges {
        std::size_t parts_begin, parts_end;
        std::size_t ratings_begin, ratings_end;
        std::size_t citations_begin, citations_end;
    };

    void clear() noexcept;
    [[nodiscard]] simdjson::error_code parse_document(std::string_view json, std::size_t padding) noexcept;
    [[nodiscard]] simdjson::error_code decode_candidate(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_part(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_ratings(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_citations(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_feedback(value& v, std::size_t& ratings_begin) noexcept;
    [[nodiscard]] simdjson::error_code decode_usage(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_error(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_error_detail(value& v) noexcept;
    [[nodiscard]] simdjson::error_code decode_violation(value& v) noexcept;
    void finalize(std::size_t feedback_ratings_begin, std::size_t feedback_ratings_end) noexcept;

    decoder_options options_;
    simdjson::ondemand::parser parser_;
    std::string padded_;
    buffer<candidate> candidates_;
    std::vector<candidate_ranges> ranges_;
    buffer<part> parts_;
    buffer<safety_rating> ratings_;
    buffer<citation_source> citations_;
    std::vector<quota_violation> violations_;
    prompt_feedback feedback_;
    bool has_feedback_ = false;
    response response_;
    api_error api_error_;
    bool has_api_error_ = false;
    bool recognised_ = false;
};

} // namespace llmio::gemini

#include <llmio/gemini/impl/chunk_decoder.hpp>

#endif // LLMIO_GEMINI_CHUNK_DECODER_HPP
