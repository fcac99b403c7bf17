// Bodies of llmio/gemini/tools.hpp. Not API.
#ifndef LLMIO_GEMINI_IMPL_TOOLS_HPP
#define LLMIO_GEMINI_IMPL_TOOLS_HPP

#include <llmio/json/writer.hpp>

#include <simdjson.h>

#include <algorithm>
#include <exception>
#include <new>
#include <string>
#include <string_view>
#include <utility>

namespace llmio::gemini {

namespace detail {

class tool_error_category_impl final : public std::error_category {
public:
    [[nodiscard]] const char* name() const noexcept override { return "llmio.gemini.tools"; }

    [[nodiscard]] std::string message(int ev) const override
    {
        switch (static_cast<tool_error>(ev)) {
        case tool_error::invalid_function_name:
            return "invalid function name: start with a letter or '_', then up to 63 letters, digits, '_', '.' "
                   "or '-'";
        case tool_error::duplicate_function: return "a function of that name is already registered";
        case tool_error::no_handler: return "the function's handler is empty";
        }
        return "unknown llmio.gemini.tools error";
    }

    [[nodiscard]] bool equivalent(int code, const std::error_condition& cond) const noexcept override
    {
        if (cond.category() != condition_category()) {
            return false;
        }
        switch (static_cast<tool_error>(code)) {
        case tool_error::invalid_function_name:
        case tool_error::duplicate_function:
        case tool_error::no_handler:
            return static_cast<condition>(cond.value()) == condition::invalid_input;
        }
        return false;
    }
};

/// {"error": message}. A message that is not UTF-8 (an exception's what() may hold anything)
/// is written with every byte above 0x7F as '?', so the error still reaches the model.
[[nodiscard]] inline std::string error_object(std::string_view message)
{
    std::string out;
    json::writer w(out);
    w.begin_object();
    w.key("error");
    w.string(message);
    w.end_object();
    if (!w.failed()) {
        return out;
    }
    std::string ascii(message);
    std::replace_if(ascii.begin(), ascii.end(), [](char ch) { return static_cast<unsigned char>(ch) > 0x7F; }, '?');
    out.clear();
    w.reset(out);
    w.begin_object();
    w.key("error");
    w.string(ascii);
    w.end_object();
    return out;
}

/// `text` is exactly one JSON object (surrounding whitespace allowed), valid UTF-8 throughout:
/// what the encoder accepts as a functionResponse `response` and the service reads as a Struct.
[[nodiscard]] inline bool is_json_object(std::string_view text)
{
    const auto first = text.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos || text[first] != '{') {
        return false;
    }
    simdjson::dom::parser parser;
    const auto parsed = parser.parse(text.data(), text.size(), true);
    if (parsed.error() == simdjson::MEMALLOC) {
        throw std::bad_alloc();
    }
    return parsed.error() == simdjson::SUCCESS;
}

} // namespace detail

inline const std::error_category& tool_error_category() noexcept
{
    static const detail::tool_error_category_impl category;
    return category;
}

inline std::error_code make_error_code(tool_error e) noexcept
{
    return {static_cast<int>(e), tool_error_category()};
}

constexpr bool valid_function_name(std::string_view name) noexcept
{
    if (name.empty() || name.size() > 64) {
        return false;
    }
    auto letter = [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_'; };
    if (!letter(name.front())) {
        return false;
    }
    for (const char ch : name.substr(1)) {
        if (!letter(ch) && !(ch >= '0' && ch <= '9') && ch != '.' && ch != '-') {
            return false;
        }
    }
    return true;
}

inline std::error_code function_registry::add(function_declaration declaration, handler h)
{
    if (!valid_function_name(declaration.name)) {
        return tool_error::invalid_function_name;
    }
    if (contains(declaration.name)) {
        return tool_error::duplicate_function;
    }
    if (!h) {
        return tool_error::no_handler;
    }
    declarations_.push_back(std::move(declaration));
    try {
        handlers_.push_back(std::move(h));
    }
    catch (...) {
        declarations_.pop_back();   // both or neither
        throw;
    }
    return {};
}

inline bool function_registry::contains(std::string_view name) const noexcept
{
    return std::any_of(declarations_.begin(), declarations_.end(),
                       [name](const function_declaration& d) { return d.name == name; });
}

inline gemini::tool function_registry::tool() const
{
    return gemini::tool{.function_declarations = declarations_};
}

inline function_response function_registry::run(const function_call& call) const
{
    function_response out{.id = call.id, .name = call.name};
    const auto found = std::find_if(declarations_.begin(), declarations_.end(),
                                    [&](const function_declaration& d) { return d.name == call.name; });
    if (found == declarations_.end()) {
        out.response_json = detail::error_object("unknown function " + call.name);
        return out;
    }
    const handler& h = handlers_[static_cast<std::size_t>(found - declarations_.begin())];
    std::string result;
    try {
        result = h(call.args_json);
    }
    catch (const std::exception& e) {
        out.response_json = detail::error_object(std::string(call.name) + " failed: " + e.what());
        return out;
    }
    catch (...) {
        out.response_json = detail::error_object(call.name + " failed with an exception that is not a std::exception");
        return out;
    }
    if (!detail::is_json_object(result)) {
        out.response_json = detail::error_object(call.name + " returned a result that is not a JSON object");
        return out;
    }
    out.response_json = std::move(result);
    return out;
}

} // namespace llmio::gemini

#endif // LLMIO_GEMINI_IMPL_TOOLS_HPP
