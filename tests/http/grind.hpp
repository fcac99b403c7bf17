// Feeds a response to llmio::http::response_parser in given pieces and records everything it
// reports, so one input can be compared cut every way (Beast's parsegrind).
#ifndef LLMIO_TESTS_HTTP_GRIND_HPP
#define LLMIO_TESTS_HTTP_GRIND_HPP

#include <llmio/http.hpp>

#include "support/conformance.hpp"

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace llmio_test::http {

using pairs = std::vector<std::pair<std::string, std::string>>;

struct message {
    int status = 0;
    int version = 0;
    std::string reason;
    pairs headers;
    llmio::http::framing framing = llmio::http::framing::none;
    bool keep_alive = false;
    bool interim = false;
    std::string body;
    bool complete = false;
    pairs trailers;

    bool operator==(const message&) const = default;
};

struct outcome {
    std::vector<message> messages;   // one per head event
    std::vector<std::uint64_t> chunk_sizes;
    pairs chunk_extensions;          // every chunk's, walked with for_each_chunk_extension
    std::error_code error;           // the put() that failed, if one did
    bool upgraded = false;           // a 101 was done: the rest was not fed
    std::error_code eof;             // put_eof(), called when no put() failed
    bool done_after_eof = false;
    // Contract checks made on every call; each stays true when every call kept it.
    bool views_in_input = true;      // body() is non-empty and inside the piece just put()
    bool need_more_used_all = true;  // need_more consumed the whole input
    bool sticky = true;              // after an error, put() and put_eof() fail the same way

    bool operator==(const outcome&) const = default;
};

inline pairs to_pairs(std::span<const llmio::http::field> fields)
{
    pairs out;
    for (const llmio::http::field& f : fields) {
        out.emplace_back(std::string(f.name), std::string(f.value));
    }
    return out;
}

/// Feeds `pieces` in order, with put_eof() at the end.
inline outcome run(const std::vector<std::string>& pieces, llmio::http::response_parser& parser)
{
    using llmio::http::parse_event;
    outcome out;
    for (const std::string& piece : pieces) {
        std::string_view input = piece;
        for (;;) {
            std::error_code ec;
            const llmio::http::parse_result r = parser.put(input, ec);
            if (ec) {
                out.error = ec;
                std::error_code again;
                (void)parser.put("x", again);
                out.sticky = again == ec && parser.put_eof() == ec;
                return out;
            }
            if (r.event == parse_event::body) {
                const std::string_view b = parser.body();
                out.views_in_input = out.views_in_input && !b.empty() && b.data() >= input.data() &&
                                     b.data() + b.size() <= input.data() + r.consumed;
            }
            if (r.event == parse_event::need_more) {
                out.need_more_used_all = out.need_more_used_all && r.consumed == input.size();
            }
            input.remove_prefix(r.consumed);
            switch (r.event) {
            case parse_event::need_more:
                break;
            case parse_event::head:
                out.messages.push_back({parser.status(), parser.version(), std::string(parser.reason()),
                                        to_pairs(parser.headers()), parser.body_framing(), parser.keep_alive(),
                                        parser.is_interim(), {}, false, {}});
                continue;
            case parse_event::chunk_header:
                out.chunk_sizes.push_back(parser.chunk_size());
                (void)llmio::http::for_each_chunk_extension(parser.chunk_extensions(),
                                                            [&](std::string_view n, std::string_view v) {
                                                                out.chunk_extensions.emplace_back(n, v);
                                                            });
                continue;
            case parse_event::body:
                out.messages.back().body.append(parser.body());
                continue;
            case parse_event::message_done:
                out.messages.back().complete = true;
                out.messages.back().trailers = to_pairs(parser.trailers());
                if (parser.upgraded()) {
                    out.upgraded = true;
                    out.eof = parser.put_eof();
                    out.done_after_eof = parser.done();
                    return out;
                }
                continue;
            }
            break;
        }
    }
    out.eof = parser.put_eof();
    out.done_after_eof = parser.done();
    return out;
}

inline outcome run(const std::vector<std::string>& pieces, llmio::http::response_parser_options options = {},
                   bool head_request = false)
{
    llmio::http::response_parser parser(options);
    parser.set_head_request(head_request);
    return run(pieces, parser);
}

inline std::string describe(const outcome& o)
{
    std::ostringstream s;
    for (const message& m : o.messages) {
        s << "[" << m.status << " v" << m.version << " '" << m.reason << "' framing="
          << static_cast<int>(m.framing) << " ka=" << m.keep_alive << " headers=" << m.headers.size()
          << " body=" << m.body.size() << "B complete=" << m.complete << "] ";
    }
    s << "chunks=" << o.chunk_sizes.size() << " error=" << o.error.message() << " upgraded=" << o.upgraded
      << " eof=" << o.eof.message() << " done=" << o.done_after_eof << " views=" << o.views_in_input
      << " need_more=" << o.need_more_used_all << " sticky=" << o.sticky;
    return s.str();
}

/// The first split plan whose outcome differs from feeding `input` whole, described; "" when
/// every plan (whole, each single split, byte by byte) gives the same outcome.
template <class Run>
std::string grind(const std::string& input, Run&& run_pieces)
{
    const outcome whole = run_pieces(std::vector<std::string>{input});
    for (const std::vector<std::size_t>& plan : llmio_test::split_plans(input.size())) {
        const outcome o = run_pieces(llmio_test::cut(input, plan));
        if (!(o == whole)) {
            std::string cuts;
            for (std::size_t at : plan) {
                cuts += std::to_string(at) + " ";
            }
            return "cut at [" + cuts + "]: " + describe(o) + "\n  whole: " + describe(whole);
        }
    }
    return {};
}

} // namespace llmio_test::http

#endif // LLMIO_TESTS_HTTP_GRIND_HPP
