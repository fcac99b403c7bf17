// llmio/gemini/tools.hpp: C++ functions the model may call, registered with their declarations.
//
//     gemini::function_registry functions;
//     auto ec = functions.add({.name = "get_weather",
//                              .description = "The weather in a city",
//                              .parameters_json_schema = R"({"type":"object","properties":
//                                                          {"city":{"type":"string"}}})"},
//                             [](std::string_view args_json) {
//                                 return std::string(R"({"output":"sunny"})");
//                             });
//     gemini::chat session(client, {.model = "gemini-2.5-flash", .functions = &functions});
//
// A handler takes the call's `args` as raw JSON (an object; "{}" when the model gave none)
// and returns the `response` object of the functionResponse part, by convention
// {"output": ...}. Nothing a handler does is lost or crashes the call loop: an exception it
// throws, or a returned string that is not one JSON object, becomes {"error": "<message>"},
// and a call of a function that is not registered gets {"error": "unknown function NAME"}.
// The model reads those and can recover (the SDKs' automatic function calling does the same).
//
// Names follow the service's rule for FunctionDeclaration.name, checked at add():
// [a-zA-Z_][a-zA-Z0-9_.-]{0,63}. (The Developer API's reference also lists colons; Vertex
// and the Firebase SDKs do not, so the stricter rule is the one that works everywhere.)
//
// Thread safety: add() is not thread-safe; run() and the accessors are const and may be used
// from several chats at once as long as the handlers themselves allow it.
#ifndef LLMIO_GEMINI_TOOLS_HPP
#define LLMIO_GEMINI_TOOLS_HPP

#include <llmio/error.hpp>
#include <llmio/gemini/request.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace llmio::gemini {

/// Registration mistakes (category "llmio.gemini.tools"); all are condition::invalid_input.
enum class tool_error {
    /// The name breaks the service's rule [a-zA-Z_][a-zA-Z0-9_.-]{0,63}.
    invalid_function_name = 1,
    /// A function of that name is already registered.
    duplicate_function,
    /// The handler is empty.
    no_handler,
};

[[nodiscard]] const std::error_category& tool_error_category() noexcept;
[[nodiscard]] std::error_code make_error_code(tool_error e) noexcept;

/// The service's rule for function names: a letter or '_', then up to 63 of letters, digits,
/// '_', '.', '-'.
[[nodiscard]] constexpr bool valid_function_name(std::string_view name) noexcept;

class function_registry {
public:
    /// Takes the call's arguments as raw JSON, returns the `response` JSON object.
    using handler = std::function<std::string(std::string_view args_json)>;

    /// Registers `declaration.name` with `h`. Fails, registering nothing, with
    /// tool_error::invalid_function_name, duplicate_function or no_handler. The schemas are
    /// raw JSON checked when a request is encoded (request_encoder.hpp), as for any tool.
    [[nodiscard]] std::error_code add(function_declaration declaration, handler h);

    [[nodiscard]] bool contains(std::string_view name) const noexcept;
    [[nodiscard]] std::size_t size() const noexcept { return declarations_.size(); }
    [[nodiscard]] bool empty() const noexcept { return declarations_.empty(); }
    /// In the order added.
    [[nodiscard]] const std::vector<function_declaration>& declarations() const noexcept { return declarations_; }
    /// One `tools[]` entry holding every declaration, for the request.
    [[nodiscard]] gemini::tool tool() const;

    /// Runs the handler `call` names and gives the functionResponse that answers it: the call's
    /// id and name, and the handler's object, or {"error": ...} for an unknown function, a
    /// handler that threw, or a result that is not one JSON object. Runs inline on the
    /// caller's thread. Throws only std::bad_alloc.
    [[nodiscard]] function_response run(const function_call& call) const;

private:
    std::vector<function_declaration> declarations_;
    std::vector<handler> handlers_;   // handlers_[i] serves declarations_[i]
};

} // namespace llmio::gemini

template <>
struct std::is_error_code_enum<llmio::gemini::tool_error> : std::true_type {};

#include <llmio/gemini/impl/tools.hpp>

#endif // LLMIO_GEMINI_TOOLS_HPP
