// llmio/json.hpp: the llmio::json module (a JSON writer for request bodies and its errors).
#ifndef LLMIO_JSON_HPP
#define LLMIO_JSON_HPP

#include <llmio/json/error.hpp>
#include <llmio/json/writer.hpp>

#endif // LLMIO_JSON_HPP
