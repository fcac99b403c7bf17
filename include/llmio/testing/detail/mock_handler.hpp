// llmio/testing/detail/mock_handler.hpp: from one request to its response plan. Not API.
//
// Sans-I/O: routing, the key check, fault selection, quota enforcement and the answers of every
// endpoint. The order of checks follows the service where it is known (an unknown path is
// answered before the key is looked at; a bad key before an unknown model) and is otherwise
// chosen so a test asking for a fault on a valid request gets exactly that fault.
#ifndef LLMIO_TESTING_DETAIL_MOCK_HANDLER_HPP
#define LLMIO_TESTING_DETAIL_MOCK_HANDLER_HPP

#include <llmio/json/writer.hpp>
#include <llmio/testing/detail/mock_fault_json.hpp>
#include <llmio/testing/detail/mock_json.hpp>
#include <llmio/testing/detail/mock_plan.hpp>
#include <llmio/testing/detail/mock_quota.hpp>
#include <llmio/testing/detail/mock_request.hpp>

#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::testing::detail {

/// What all connections share: the options, the counters, the fault dice and the quota windows.
struct mock_core {
    explicit mock_core(mock_options o) : options(std::move(o)), rng(options.seed)
    {
        counters.project_requests.resize(options.projects.size());
        counters.project_rate_limited.resize(options.projects.size());
    }

    mock_options options;
    mock_counters counters;
    std::mt19937 rng;
    /// rpm / rpd / tpm, per (project, model) or for everything (mock_quota.hpp).
    quota_windows quotas;
    std::uint64_t sequence = 0;   ///< numbers response ids
    std::uint64_t server_faults = 0;   ///< requests `options.fault` was chosen for (fault_limit)
};

/// What one connection keeps between its requests, so a warm connection reuses its buffers.
struct handler_context {
    json::writer w;
    std::string json;      ///< a compact document being built
    std::string scratch;   ///< the compact envelope before pretty printing
    std::string body;      ///< a unary body
    std::string text;      ///< the answer's text
    /// The JSON of a streamed event before the last around its text (request_handler::
    /// make_event_template): made once per request, valid while `event_template` says so.
    std::string event_prefix;
    std::string event_suffix;
    std::string path;      ///< the percent-decoded path
    std::vector<std::string_view> names;   ///< function names, views into the parsed request
    simdjson::dom::parser parser;
    std::size_t requests_on_connection = 0;
};

/// Percent-decodes `in` into `out` (RFC 3986 §2.1); false on a broken escape or an encoded NUL.
[[nodiscard]] inline bool percent_decode(std::string_view in, std::string& out)
{
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i] != '%') {
            out.push_back(in[i]);
            continue;
        }
        if (i + 2 >= in.size() || !http::detail::is(in[i + 1], http::detail::cc_hex) ||
            !http::detail::is(in[i + 2], http::detail::cc_hex)) {
            return false;
        }
        const char c = static_cast<char>(http::detail::hex_value(in[i + 1]) * 16 + http::detail::hex_value(in[i + 2]));
        if (c == '\0') {
            return false;
        }
        out.push_back(c);
        i += 2;
    }
    return true;
}

/// A model name as the service spells them; anything else cannot be one (and is never echoed).
[[nodiscard]] inline bool looks_like_model(std::string_view name) noexcept
{
    return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
               c == '-' || c == '_';
    });
}

[[nodiscard]] inline bool is_error_fault(mock_fault f) noexcept
{
    switch (f) {
    case mock_fault::quota_per_minute:
    case mock_fault::quota_per_day:
    case mock_fault::quota_input_tokens:
    case mock_fault::internal:
    case mock_fault::unavailable:
    case mock_fault::api_key_invalid:
    case mock_fault::location:
    case mock_fault::error_status_sse:
    case mock_fault::permission_denied:
    case mock_fault::api_not_enabled:
    case mock_fault::invalid_argument:
    case mock_fault::gateway_timeout:
    case mock_fault::bad_gateway:
    case mock_fault::retry_after:
        return true;
    default:
        return false;
    }
}

/// What a content request is answered with, decided by its fault (mock_content.hpp).
enum class content_kind {
    text,         ///< the usual words, finishReason STOP
    blocked,      ///< prompt_blocked: promptFeedback only
    safety,       ///< finish_safety: the words, the last event SAFETY with a blocked rating
    recitation,   ///< finish_recitation: the words, the last event RECITATION with a citation
    calls,        ///< function_call: one functionCall part per declared function
    results,      ///< function_call after functionResponse parts: "Results for: ..." and the words
};

class request_handler {
public:
    request_handler(mock_core& core, handler_context& h, const mock_request& req, response_plan& plan) noexcept
        : core_(core), h_(h), req_(req), plan_(plan), o_(core.options)
    {
    }

    void run()
    {
        plan_.clear();
        ++core_.counters.requests;
        ++h_.requests_on_connection;
        close_ = !req_.keep_alive;
        if (!percent_decode(req_.path, h_.path)) {
            count(mock_endpoint::unknown);
            return error(400, "INVALID_ARGUMENT", "The request path is not valid percent-encoding.");
        }
        route();
        if (!select_fault()) {
            return error(400, "INVALID_ARGUMENT",
                         "Unknown x-llmio-mock-fault (the names are in llmio/testing/mock_server.hpp).");
        }
        count(endpoint_);
        if (endpoint_ == mock_endpoint::unknown) {
            return not_found_page();
        }
        if (!authorized()) {
            ++core_.counters.auth_failures;
            h_.body.clear();
            append_api_key_invalid(h_.body, h_.w, h_.scratch);
            return json_response(400, h_.body);
        }
        if (!check_request()) {
            return;   // answered
        }
        if (is_error_fault(fault_)) {
            return inject_error();
        }
        if (is_content() && !admit()) {
            return;   // answered 429
        }
        serve();
    }

private:
    // ---- Routing --------------------------------------------------------------------------------

    void route()
    {
        std::string_view p = h_.path;
        for (const std::string_view version : {"/v1beta/", "/v1/", "/v1alpha/"}) {
            if (p.substr(0, version.size()) == version) {
                p.remove_prefix(version.size());
                version_ = version.substr(1, version.size() - 2);
                break;
            }
        }
        if (version_.empty()) {
            return;
        }
        const bool get = req_.method == "GET";
        const bool post = req_.method == "POST";
        if (p == "models") {
            endpoint_ = get ? mock_endpoint::list_models : mock_endpoint::unknown;
            return;
        }
        if (p == "openai/chat/completions") {
            endpoint_ = post ? mock_endpoint::chat_completions : mock_endpoint::unknown;
            return;
        }
        if (p.substr(0, 7) != "models/") {
            return;
        }
        p.remove_prefix(7);
        const std::size_t colon = p.find(':');
        model_ = p.substr(0, colon);
        if (!looks_like_model(model_)) {
            return;
        }
        if (colon == std::string_view::npos) {
            endpoint_ = get ? mock_endpoint::get_model : mock_endpoint::unknown;
            return;
        }
        method_ = p.substr(colon + 1);
        struct entry {
            std::string_view method;
            mock_endpoint endpoint;
        };
        static constexpr entry methods[] = {
            {"streamGenerateContent", mock_endpoint::stream_generate_content},
            {"generateContent", mock_endpoint::generate_content},
            {"countTokens", mock_endpoint::count_tokens},
            {"embedContent", mock_endpoint::embed_content},
            {"batchEmbedContents", mock_endpoint::batch_embed_contents},
        };
        for (const entry& e : methods) {
            if (e.method == method_ && post) {
                endpoint_ = e.endpoint;
            }
        }
    }

    [[nodiscard]] bool is_content() const noexcept
    {
        return endpoint_ == mock_endpoint::generate_content || endpoint_ == mock_endpoint::stream_generate_content ||
               endpoint_ == mock_endpoint::chat_completions;
    }

    [[nodiscard]] bool streams() const noexcept
    {
        return endpoint_ == mock_endpoint::stream_generate_content ||
               (endpoint_ == mock_endpoint::chat_completions && chat_stream_);
    }

    // ---- Faults -----------------------------------------------------------------------------------

    // The request's own choice wins over the server's; "none" turns the server's off for it,
    // and function_calls too.
    [[nodiscard]] bool select_fault()
    {
        bool chosen = false;
        std::optional<std::string_view> name = req_.field("x-llmio-mock-fault");
        if (!name) {
            name = req_.query_value("fault");
        }
        if (name) {
            const std::optional<mock_fault> f = parse_mock_fault(*name);
            if (!f) {
                return false;
            }
            fault_ = *f;
            chosen = true;
        } else if (o_.fault != mock_fault::none &&
                   (o_.fault_limit == 0 || core_.server_faults < o_.fault_limit)) {
            // One draw per request, so a seed replays the same sequence of faults. Compared as
            // integers: std::bernoulli_distribution differs between standard libraries.
            const double rate = std::clamp(o_.fault_rate, 0.0, 1.0);
            const auto draw = static_cast<double>(core_.rng());
            fault_ = draw < rate * 4294967296.0 ? o_.fault : mock_fault::none;
            core_.server_faults += fault_ != mock_fault::none;
        }
        if (!chosen && fault_ == mock_fault::none && o_.function_calls) {
            fault_ = mock_fault::function_call;
        }
        if (fault_ == mock_fault::close_after) {
            if (h_.requests_on_connection >= std::max<std::size_t>(o_.close_after_requests, 1)) {
                close_ = true;
                injected();
            } else {
                fault_ = mock_fault::none;
            }
        } else if (fault_ == mock_fault::slow_head) {
            plan_.slow_head = true;
            plan_.slow_delay = o_.slow_head_delay;
            injected();
        }
        return true;
    }

    void injected() noexcept
    {
        ++core_.counters.faults_injected;
        ++core_.counters.by_fault[static_cast<std::size_t>(fault_)];
    }

    void inject_error()
    {
        injected();
        h_.body.clear();
        const std::string_view model = model_.empty() ? std::string_view("gemini-2.0-flash") : model_;
        const auto delay = std::chrono::duration_cast<std::chrono::milliseconds>(o_.fault_retry_delay);
        switch (fault_) {
        case mock_fault::quota_per_minute:
        case mock_fault::error_status_sse:
            append_quota_error(h_.body, h_.w, h_.scratch, quota_kind::per_minute, o_.rpm != 0 ? o_.rpm : 15, model, delay);
            break;
        case mock_fault::quota_per_day:
            append_quota_error(h_.body, h_.w, h_.scratch, quota_kind::per_day, o_.rpd != 0 ? o_.rpd : 1500, model, delay);
            break;
        case mock_fault::quota_input_tokens:
            append_quota_error(h_.body, h_.w, h_.scratch, quota_kind::input_tokens, 1000000, model, delay);
            break;
        case mock_fault::internal:
            return error(500, "INTERNAL",
                         "An internal error has occurred. Please retry or report in "
                         "https://developers.generativeai.google/guide/troubleshooting");
        case mock_fault::unavailable:
            return error(503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
        case mock_fault::api_key_invalid:
            append_api_key_invalid(h_.body, h_.w, h_.scratch);
            return json_response(400, h_.body);
        case mock_fault::location:
            return error(400, "FAILED_PRECONDITION", "User location is not supported for the API use.");
        case mock_fault::permission_denied:
            append_permission_denied(h_.body, h_.w, h_.scratch);
            return json_response(403, h_.body);
        case mock_fault::api_not_enabled:
            append_api_not_enabled(h_.body, h_.w, h_.scratch);
            return json_response(403, h_.body);
        case mock_fault::invalid_argument:
            append_invalid_payload(h_.body, h_.w, h_.scratch);
            return json_response(400, h_.body);
        case mock_fault::gateway_timeout:
            return error(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.");
        case mock_fault::bad_gateway:
            return json_response(502, bad_gateway_page, "text/html; charset=UTF-8");
        case mock_fault::retry_after: {
            // RFC 9110 §10.2.3: delay-seconds. The service's own 503s carry no RetryInfo either.
            append_error(h_.body, h_.w, h_.scratch, 503, "UNAVAILABLE",
                         "The model is overloaded. Please try again later.");
            const std::int64_t seconds = std::max<std::int64_t>(o_.retry_after.count(), 0);
            const std::string field = "Retry-After: " + std::to_string(seconds) + "\r\n";
            return json_response(503, h_.body, "application/json; charset=UTF-8", field);
        }
        default:
            return;
        }
        rate_limited();
        if (fault_ == mock_fault::error_status_sse) {
            // A 429 from the streaming endpoint has been seen labelled as an event stream.
            begin_head(plan_.head, 429, "text/event-stream");
            end_head_chunked(plan_.head, close_);
            std::string& piece = plan_.add_piece();
            append_chunk(piece, h_.body);
            piece.append(last_chunk);
            return finish();
        }
        json_response(429, h_.body);
    }

    // ---- Checks -----------------------------------------------------------------------------------

    // The key against `projects` (which also tells the project) or `api_key`.
    [[nodiscard]] bool authorized() noexcept
    {
        if (o_.api_key.empty() && o_.projects.empty()) {
            return true;
        }
        std::optional<std::string_view> key = req_.field("x-goog-api-key");
        if (!key) {
            key = req_.query_value("key");
        }
        if (!key) {
            const std::optional<std::string_view> auth = req_.field("authorization");
            if (auth && auth->size() > 7 && http::detail::iequals(auth->substr(0, 7), "bearer ")) {
                key = auth->substr(7);
            }
        }
        if (!key) {
            return false;
        }
        if (o_.projects.empty()) {
            return *key == o_.api_key;
        }
        for (std::size_t i = 0; i < o_.projects.size(); ++i) {
            const std::vector<std::string>& keys = o_.projects[i].keys;
            if (std::find(keys.begin(), keys.end(), *key) != keys.end()) {
                project_ = i;
                return true;
            }
        }
        return false;
    }

    [[nodiscard]] bool known_model(std::string_view name) const noexcept
    {
        return o_.known_models.empty() ? looks_like_model(name)
                                       : std::find(o_.known_models.begin(), o_.known_models.end(), name) !=
                                             o_.known_models.end();
    }

    void model_not_found(std::string_view name)
    {
        const std::string_view verb = method_.empty() ? std::string_view("generateContent") : method_;
        std::string message = "models/";
        if (looks_like_model(name)) {
            message.append(name);
        }
        message.append(" is not found for API version ").append(version_);
        message.append(", or is not supported for ").append(verb);
        message.append(". Call ListModels to see the list of available models and their supported methods.");
        error(404, "NOT_FOUND", message, message);
    }

    // Model, then a JSON body where one is expected; answers and returns false on the first
    // failure.
    [[nodiscard]] bool check_request()
    {
        if (!model_.empty() && !known_model(model_)) {
            model_not_found(model_);
            return false;
        }
        if (req_.method != "POST") {
            return true;
        }
        if (h_.parser.parse(req_.body.data(), req_.body.size()).get(doc_) != simdjson::SUCCESS || !doc_.is_object()) {
            error(400, "INVALID_ARGUMENT", "Invalid JSON payload received. Expected a JSON object.");
            return false;
        }
        if (endpoint_ == mock_endpoint::chat_completions) {
            std::string_view model;
            if (doc_["model"].get(model) != simdjson::SUCCESS) {
                error(400, "INVALID_ARGUMENT", "model is required");
                return false;
            }
            if (model.substr(0, 7) == "models/") {
                model.remove_prefix(7);
            }
            if (!known_model(model)) {
                model_not_found(model);
                return false;
            }
            model_ = model;
            bool stream = false;
            chat_stream_ = doc_["stream"].get(stream) == simdjson::SUCCESS && stream;
            simdjson::dom::array messages;
            if (doc_["messages"].get(messages) != simdjson::SUCCESS || messages.size() == 0) {
                error(400, "INVALID_ARGUMENT", "messages is required");
                return false;
            }
        } else if (endpoint_ == mock_endpoint::generate_content || endpoint_ == mock_endpoint::stream_generate_content) {
            simdjson::dom::array contents;
            if (doc_["contents"].get(contents) != simdjson::SUCCESS || contents.size() == 0) {
                error(400, "INVALID_ARGUMENT", "* GenerateContentRequest.contents: contents is not specified\n");
                return false;
            }
        }
        return true;
    }

    // The quotas the options enforce; answers the 429 and returns false when one is used up.
    [[nodiscard]] bool admit()
    {
        // Without projects, one set of windows for every request and model, as before projects.
        const bool per_project = !o_.projects.empty();
        const quota_limits limits{o_.rpm, o_.rpd, o_.tpm,
                                  std::max<std::chrono::steady_clock::duration>(o_.quota_window,
                                                                                std::chrono::milliseconds(1))};
        const std::optional<quota_refusal> refused = core_.quotas.admit(
            per_project ? project_ : quota_windows::no_project, per_project ? model_ : std::string_view{},
            estimate_tokens(req_.body.size()), std::chrono::steady_clock::now(), limits);
        if (!refused) {
            if (project_ != quota_windows::no_project) {
                ++core_.counters.project_requests[project_];
            }
            return true;
        }
        const std::chrono::seconds delay =
            refused->kind == quota_kind::per_day ? o_.fault_retry_delay : refused->retry_delay;
        h_.body.clear();
        append_quota_error(h_.body, h_.w, h_.scratch, refused->kind, refused->limit, model_,
                           std::chrono::duration_cast<std::chrono::milliseconds>(delay));
        rate_limited();
        json_response(429, h_.body);
        return false;
    }

    void rate_limited() noexcept
    {
        ++core_.counters.rate_limited;
        if (project_ != quota_windows::no_project) {
            ++core_.counters.project_rate_limited[project_];
        }
    }

    // ---- Answers ----------------------------------------------------------------------------------

    void serve();
    void serve_stream(std::uint64_t offset, std::int64_t prompt_tokens);
    void choose_content();
    void collect_function_names();
    [[nodiscard]] std::size_t event_count() const noexcept;
    void append_answer_text(std::string& out, std::uint64_t offset, std::size_t first_word, std::size_t words) const;
    [[nodiscard]] candidate_extras final_extras(std::uint64_t offset) const;
    void frame_event(std::string& piece, std::string_view json) const;
    void build_event(std::uint64_t offset, std::size_t index, bool last, std::int64_t prompt_tokens);
    [[nodiscard]] bool make_event_template(std::int64_t prompt_tokens);
    [[nodiscard]] bool write_models();
    [[nodiscard]] bool write_embeddings();
    void unary_response(std::string_view body);

    void count(mock_endpoint e) noexcept { ++core_.counters.by_endpoint[static_cast<std::size_t>(e)]; }

    void finish()
    {
        if (close_ && plan_.end == plan_end::keep_alive) {
            plan_.end = plan_end::close;
        }
    }

    /// `fields`: whole field lines to add to the head ("Name: value\r\n").
    void json_response(int status, std::string_view body, std::string_view type = "application/json; charset=UTF-8",
                       std::string_view fields = {})
    {
        begin_head(plan_.head, status, type);
        plan_.head.append(fields);
        end_head_length(plan_.head, body.size(), close_);
        plan_.add_piece().assign(body);
        finish();
    }

    void error(int status, std::string_view code, std::string_view message, std::string_view debug = {})
    {
        h_.body.clear();
        append_error(h_.body, h_.w, h_.scratch, status, code, message, debug);
        json_response(status, h_.body);
    }

    // What Google's front end answers for a URL it does not route: an HTML page, not JSON.
    void not_found_page()
    {
        static constexpr std::string_view page =
            "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n"
            "  <title>Error 404 (Not Found)!!1</title>\n"
            "  <p><b>404.</b> <ins>That's an error.</ins>\n"
            "  <p>The requested URL was not found on this server.  <ins>That's all we know.</ins>\n";
        json_response(404, page, "text/html; charset=UTF-8");
    }

    mock_core& core_;
    handler_context& h_;
    const mock_request& req_;
    response_plan& plan_;
    const mock_options& o_;
    mock_endpoint endpoint_ = mock_endpoint::unknown;
    mock_fault fault_ = mock_fault::none;
    std::string_view version_;   // "v1beta"
    std::string_view model_;     // from the path, or the chat body
    std::string_view method_;    // "streamGenerateContent"
    simdjson::dom::element doc_;
    std::string id_;             // responseId / chat completion id
    std::int64_t created_ = 0;   // chat completions: seconds since the epoch
    std::size_t piece_index_ = 0;   // the event being framed
    enum class event_template { unknown, ready, unusable };
    event_template event_template_ = event_template::unknown;   // h_.event_prefix/suffix
    std::size_t project_ = quota_windows::no_project;   // index in o_.projects of the key's project
    content_kind content_ = content_kind::text;          // what a content answer is (choose_content)
    bool close_ = false;
    bool chat_stream_ = false;
    bool sse_ = true;
};

} // namespace llmio::testing::detail

#include <llmio/testing/detail/mock_answers.hpp>
#include <llmio/testing/detail/mock_content.hpp>

#endif // LLMIO_TESTING_DETAIL_MOCK_HANDLER_HPP
