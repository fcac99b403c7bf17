// llmio/llmio.hpp: all of llmio (test doubles in llmio/testing/ excepted).
#ifndef LLMIO_LLMIO_HPP
#define LLMIO_LLMIO_HPP

#include <llmio/error.hpp>
#include <llmio/gemini.hpp>
#include <llmio/http.hpp>
#include <llmio/json.hpp>
#include <llmio/sse.hpp>

#endif // LLMIO_LLMIO_HPP
