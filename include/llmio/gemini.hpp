// llmio/gemini.hpp: everything for the Gemini API.
#ifndef LLMIO_GEMINI_HPP
#define LLMIO_GEMINI_HPP

#include <llmio/gemini/api_error.hpp>
#include <llmio/gemini/chunk_decoder.hpp>
#include <llmio/gemini/content_error.hpp>
#include <llmio/gemini/error.hpp>
#include <llmio/gemini/http_stream.hpp>
#include <llmio/gemini/request.hpp>
#include <llmio/gemini/request_encoder.hpp>
#include <llmio/gemini/response.hpp>
#include <llmio/gemini/stream_decoder.hpp>

#endif // LLMIO_GEMINI_HPP
