// llmio/sse.hpp: the llmio::sse module, a sans-I/O Server-Sent Events (text/event-stream)
// parser and its errors.
#ifndef LLMIO_SSE_HPP
#define LLMIO_SSE_HPP

#include <llmio/sse/error.hpp>
#include <llmio/sse/parser.hpp>

#endif // LLMIO_SSE_HPP
