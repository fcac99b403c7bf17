// libFuzzer target for llmio::http::response_parser.
//
// The first two bytes pick the options (skip_interim, HEAD, and small limits half of the time,
// so the limits are reached and their errors raced against syntax errors); the rest is a
// response stream. It is parsed whole, then cut in two at a point derived from the input, and
// both runs must report the same thing: heads, de-chunked bodies, chunk headers, trailers, the
// error and the put_eof() result. Contract checks (consumed within the input, body() a
// non-empty view inside it, need_more using all of it) trap too.
//
// Plain C++ as well: g++ builds it with a replay main, clang with -fsanitize=fuzzer.
#include <llmio/http/response_parser.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>

namespace {

void require(bool ok)
{
    if (!ok) {
        __builtin_trap();
    }
}

void append_number(std::string& out, std::uint64_t n)
{
    out += std::to_string(n);
    out += ' ';
}

/// What the parser reported for `input` put in two pieces cut at `cut`, as one string. Body
/// pieces are joined, so where the cut falls inside a body does not show.
std::string trace(std::string_view input, std::size_t cut, const llmio::http::response_parser_options& options,
                  bool head_request)
{
    using llmio::http::parse_event;
    llmio::http::response_parser parser(options);
    parser.set_head_request(head_request);
    std::string out;
    bool in_body = false;
    const std::string_view pieces[2] = {input.substr(0, cut), input.substr(cut)};
    for (std::string_view piece : pieces) {
        for (;;) {
            std::error_code ec;
            const llmio::http::parse_result r = parser.put(piece, ec);
            require(r.consumed <= piece.size());
            if (ec) {
                out += "\nerror ";
                append_number(out, static_cast<std::uint64_t>(ec.value()));
                std::error_code again;
                (void)parser.put(piece.substr(r.consumed), again);
                require(again == ec && parser.put_eof() == ec);
                return out;
            }
            if (r.event == parse_event::need_more) {
                require(r.consumed == piece.size());
                break;
            }
            if (r.event == parse_event::body) {
                const std::string_view b = parser.body();
                require(!b.empty() && b.data() >= piece.data() && b.data() + b.size() == piece.data() + r.consumed);
                if (!in_body) {
                    out += "\nbody ";
                    in_body = true;
                }
                out.append(b);
            } else {
                in_body = false;
            }
            piece.remove_prefix(r.consumed);
            switch (r.event) {
            case parse_event::head:
                out += "\nhead ";
                append_number(out, static_cast<std::uint64_t>(parser.status()));
                append_number(out, static_cast<std::uint64_t>(parser.version()));
                out.append(parser.reason());
                append_number(out, static_cast<std::uint64_t>(parser.body_framing()));
                append_number(out, parser.keep_alive());
                for (const llmio::http::field& f : parser.headers()) {
                    out.append(f.name).append(": ").append(f.value).append("|");
                }
                break;
            case parse_event::chunk_header:
                out += "\nchunk ";
                append_number(out, parser.chunk_size());
                out.append(parser.chunk_extensions());
                require(!llmio::http::for_each_chunk_extension(parser.chunk_extensions(),
                                                               [](std::string_view, std::string_view) noexcept {}));
                break;
            case parse_event::message_done:
                out += "\ndone ";
                append_number(out, parser.body_bytes());
                for (const llmio::http::field& f : parser.trailers()) {
                    out.append(f.name).append(": ").append(f.value).append("|");
                }
                if (parser.upgraded()) {
                    out += "\nupgraded";
                    return out;
                }
                break;
            case parse_event::body:
            case parse_event::need_more:
                break;
            }
        }
    }
    const std::error_code eof = parser.put_eof();
    out += "\neof ";
    append_number(out, static_cast<std::uint64_t>(eof.value()));
    append_number(out, parser.done());
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    if (size < 2) {
        return 0;
    }
    const std::uint8_t mode = data[0];
    const std::uint8_t knob = data[1];
    const std::string_view input(reinterpret_cast<const char*>(data + 2), size - 2);

    llmio::http::response_parser_options options;
    options.skip_interim = (mode & 1) != 0;
    const bool head_request = (mode & 2) != 0;
    if ((mode & 4) != 0) {
        options.limits.line = 4 + (knob & 31u);
        options.limits.header_block = 16 + knob;
        options.limits.header_count = 1 + (knob >> 5);
        options.limits.chunk_size_digits = 1 + ((mode >> 3) & 3u);
        options.limits.body = static_cast<std::uint64_t>(knob) * 2;
    }

    // The cut: a simple hash of the input, so each input gets one reproducible cut.
    std::uint64_t h = 1469598103934665603ull;
    for (const char c : input) {
        h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
    }
    const std::size_t cut = input.empty() ? 0 : static_cast<std::size_t>(h % (input.size() + 1));

    const std::string whole = trace(input, input.size(), options, head_request);
    const std::string split = trace(input, cut, options, head_request);
    require(whole == split);
    return 0;
}
