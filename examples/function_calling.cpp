// llmio-functions: function calling. Two C++ functions are registered with their JSON schemas;
// the chat offers them to the model, runs the calls the model makes (parallel calls of one turn
// included), sends the results back and streams the final answer, all inside one send.
//
//   llmio-functions ["question"] [common flags]
//
// The functions are stand-ins: get_weather(city) makes up the weather from the city's name,
// get_time(zone) gives the current UTC time (a real one would convert to `zone`). Against the
// mock (started with mock_options::function_calls) the model calls every declared function
// with empty arguments, then answers "Results for: get_weather, get_time. ..." once the
// responses come back: get_weather then reports its missing argument as {"error": ...}, which
// is the convention a model reads and recovers from.
//
// Exit status: 0 when the answer finished well, 1 on an error, 2 for bad flags.
#include "support.hpp"

#include <llmio/gemini/chat.hpp>
#include <llmio/gemini/tools.hpp>
#include <llmio/json/writer.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <functional>
#include <string>
#include <string_view>

namespace {

namespace gemini = llmio::gemini;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// The string argument `name` of a call's arguments (a JSON object), or "" when absent.
std::string string_arg(std::string_view args_json, const char* name)
{
    simdjson::dom::parser parser;
    simdjson::dom::element args;
    std::string_view value;
    if (parser.parse(args_json.data(), args_json.size()).get(args) || args[name].get_string().get(value)) {
        return {};
    }
    return std::string(value);
}

/// {"output": {fields...}} from string pairs, escaped by llmio's JSON writer.
std::string output(std::initializer_list<std::pair<std::string_view, std::string_view>> fields)
{
    std::string out;
    llmio::json::writer w(out);
    w.begin_object();
    w.key("output");
    w.begin_object();
    for (const auto& [k, v] : fields) {
        w.key(k);
        w.string(v);
    }
    w.end_object();
    w.end_object();
    return out;   // on a writer error (text that is not UTF-8) the registry answers {"error": ...}
}

std::string get_weather(std::string_view args_json)
{
    const std::string city = string_arg(args_json, "city");
    if (city.empty()) {
        return R"({"error":"the argument 'city' is required"})";
    }
    // Made up, but stable: the same city always has the same weather.
    const std::size_t h = std::hash<std::string>{}(city);
    static constexpr const char* skies[] = {"sunny", "cloudy", "light rain", "windy"};
    const std::string temperature = std::to_string(static_cast<int>(h % 30)) + " C";
    return output({{"city", city}, {"sky", skies[(h / 30) % 4]}, {"temperature", temperature}});
}

std::string get_time(std::string_view args_json)
{
    std::string zone = string_arg(args_json, "zone");
    if (zone.empty()) {
        zone = "UTC";
    }
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return output({{"zone_asked", zone}, {"utc_time", text}, {"note", "UTC; convert to the zone asked"}});
}

/// Wraps a handler so that each call and its result are printed as the chat runs them.
gemini::function_registry::handler printed(std::string name, std::string (*f)(std::string_view))
{
    return [name = std::move(name), f](std::string_view args_json) {
        std::string result = f(args_json);
        std::printf("  call   %s(%.*s)\n  result %s\n", name.c_str(), static_cast<int>(args_json.size()),
                    args_json.data(), result.c_str());
        return result;
    };
}

/// Sends the question and streams the answer, the function rounds running inside.
asio::awaitable<int> ask(gemini::client& client, const gemini::function_registry& functions,
                         const std::string& model, const std::string& question)
{
    // The chat runs the call loop: at most max_function_rounds rounds of calls per send.
    gemini::chat session(client, {.model = model, .functions = &functions, .max_function_rounds = 4});
    if (const std::error_code ec = session.send(question)) {
        std::fprintf(stderr, "llmio-functions: %s\n", ec.message().c_str());
        co_return 1;
    }
    bool answer_started = false;
    for (;;) {
        auto [ec, chunk] = co_await session.async_next(tuple_awaitable);
        if (ec) {
            std::string why = session.current().error_message();   // a stream error: the details
            std::fprintf(stderr, "\nllmio-functions: %s\n", why.empty() ? ec.message().c_str() : why.c_str());
            co_return 1;
        }
        if (chunk == nullptr) {
            break;
        }
        if (!answer_started && !session.chunk_text().empty()) {
            std::printf("answer: ");
            answer_started = true;
        }
        examples::print_now(session.chunk_text());
    }
    std::printf("\n\n%d round(s) of function calls, %zu turns in the history\n", session.rounds(),
                session.history().size());
    co_return 0;
}

} // namespace

int main(int argc, char** argv)
{
    examples::common_flags flags;
    std::string question = "What is the weather in Paris, and what time is it there?";
    if (!examples::parse_flags(argc, argv, flags, {}, &question)) {
        std::printf("usage: llmio-functions [\"question\"] [flags]\n%s", examples::common_usage.data());
        return 2;
    }
    // The mock answers with function calls whenever the request declares functions.
    examples::mock_options mock;
    mock.function_calls = true;
    examples::backend backend("llmio-functions", flags, mock);
    if (const std::error_code ec = backend.start()) {
        std::fprintf(stderr, "llmio-functions: cannot start the mock server: %s\n", ec.message().c_str());
        return 1;
    }
    asio::io_context io(1);
    auto client = examples::make_client("llmio-functions", io, backend.client_options());
    if (!client) {
        return 1;
    }

    // Register the functions: a declaration (name, description, JSON Schema of the arguments)
    // and a handler that takes the arguments as JSON and returns {"output": ...}.
    gemini::function_registry functions;
    std::error_code ec = functions.add(
        {.name = "get_weather",
         .description = "The current weather in a city.",
         .parameters_json_schema = R"({"type":"object","properties":{"city":{"type":"string",)"
                                   R"("description":"The city, e.g. Paris"}},"required":["city"]})"},
        printed("get_weather", get_weather));
    if (!ec) {
        ec = functions.add({.name = "get_time",
                            .description = "The current time in a time zone.",
                            .parameters_json_schema = R"({"type":"object","properties":{"zone":{"type":"string",)"
                                                      R"("description":"An IANA time zone, e.g. Europe/Paris"}}})"},
                           printed("get_time", get_time));
    }
    if (ec) {
        std::fprintf(stderr, "llmio-functions: cannot register the functions: %s\n", ec.message().c_str());
        return 1;
    }

    std::printf("question: %s\n", question.c_str());

    int status = 1;
    asio::co_spawn(io, ask(*client, functions, flags.model, question), [&](std::exception_ptr e, int result) {
        status = e ? 1 : result;
        client->shutdown();   // the chat has ended with the coroutine: io.run() returns
    });
    io.run();
    return status;
}
