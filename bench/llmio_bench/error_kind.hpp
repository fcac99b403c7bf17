// bench/llmio_bench/error_kind.hpp: the short names llmio-bench counts failures under.
//
// "errors by kind" must be readable in a table and stable across runs, so a kind is
// `CATEGORY:VALUE`: the error category's name without its "llmio." prefix, and the enumerator's
// name where llmio-bench knows it ("gemini:quota_requests_per_minute", "net:idle_timeout",
// "client:no_usable_key"), the errno name for system errors ("system:ECONNRESET"), else the
// number ("http:12"). The OpenAI target adds its own: "http:429" for a non-2xx status,
// "openai:truncated", "openai:malformed_chunk".
#ifndef LLMIO_BENCH_LLMIO_BENCH_ERROR_KIND_HPP
#define LLMIO_BENCH_LLMIO_BENCH_ERROR_KIND_HPP

#include <string>
#include <system_error>

namespace llmio::bench::program {

[[nodiscard]] std::string error_kind(std::error_code ec);

} // namespace llmio::bench::program

#endif
