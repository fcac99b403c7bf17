// llmio/http/chunk_extensions.hpp: walks the chunk extensions of one chunk-size line.
//
// The response parser hands the extensions out raw (`response_parser::chunk_extensions()`),
// so a caller that does not care pays nothing; this walks them when one does.
#ifndef LLMIO_HTTP_CHUNK_EXTENSIONS_HPP
#define LLMIO_HTTP_CHUNK_EXTENSIONS_HPP

#include <llmio/http/detail/chars.hpp>
#include <llmio/http/error.hpp>

#include <cstddef>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace llmio::http {

/// Walks `raw`, the text of a chunk-size line from its first ';' ("" when there is none), and
/// calls `f(name, value)` for each extension in order, `value` being "" when the extension has
/// none and a quoted-string being passed verbatim with its quotes and backslashes. Both views
/// point into `raw`.
///
/// Grammar (RFC 9112 §7.1.1, without the BWS it allows: no whitespace anywhere):
///     chunk-ext = *( ";" token [ "=" ( token / quoted-string ) ] )
///
/// Returns `error::bad_chunk_extension` on bad syntax; `f` has then been called for the
/// extensions before the bad one. Strings from the parser were checked with this same walk,
/// so for them it always succeeds.
template <class F>
[[nodiscard]] std::error_code for_each_chunk_extension(std::string_view raw, F&& f) noexcept(
    std::is_nothrow_invocable_v<F&, std::string_view, std::string_view>);

} // namespace llmio::http

#include <llmio/http/impl/chunk_extensions.hpp>

#endif // LLMIO_HTTP_CHUNK_EXTENSIONS_HPP
