// llmio/http.hpp: the whole llmio::http module, the sans-I/O HTTP/1.1 layer (RFC 9112).
//
//   http/response_parser.hpp   incremental response parser: framing, chunked, keep-alive
//   http/request_writer.hpp    request writer into a reused buffer
//   http/chunk_extensions.hpp  for_each_chunk_extension()
//   http/field.hpp             http::field
//   http/error.hpp             http::error and its category
//
// Depends on the standard library and llmio/error.hpp only: no Asio, no JSON.
#ifndef LLMIO_HTTP_HPP
#define LLMIO_HTTP_HPP

#include <llmio/http/chunk_extensions.hpp>
#include <llmio/http/error.hpp>
#include <llmio/http/field.hpp>
#include <llmio/http/request_writer.hpp>
#include <llmio/http/response_parser.hpp>

#endif // LLMIO_HTTP_HPP
