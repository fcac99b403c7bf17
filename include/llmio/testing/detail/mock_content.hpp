// llmio/testing/detail/mock_content.hpp: what a content answer is made of when a content fault
// (prompt_blocked, finish_safety, finish_recitation, function_call) shapes it. Part of
// mock_handler.hpp; not API.
//
// Only the Gemini endpoints are shaped (generateContent, streamGenerateContent): the
// OpenAI-compatible one keeps its usual text. The function-calling answer reads the request
// itself (its function declarations, its last turn), so a client's tool loop meets the same
// rules it meets with the service: calls for declared functions, text once the results came.
#ifndef LLMIO_TESTING_DETAIL_MOCK_CONTENT_HPP
#define LLMIO_TESTING_DETAIL_MOCK_CONTENT_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace llmio::testing::detail {

inline void request_handler::choose_content()
{
    content_ = content_kind::text;
    h_.names.clear();
    if (endpoint_ != mock_endpoint::generate_content && endpoint_ != mock_endpoint::stream_generate_content) {
        return;
    }
    switch (fault_) {
    case mock_fault::prompt_blocked: content_ = content_kind::blocked; break;
    case mock_fault::finish_safety: content_ = content_kind::safety; break;
    case mock_fault::finish_recitation: content_ = content_kind::recitation; break;
    case mock_fault::function_call: collect_function_names(); break;
    default: return;
    }
    if (content_ != content_kind::text) {
        injected();
    }
}

// function_call: results when the last turn answers calls, else calls for the declared
// functions unless calling is turned off, else nothing (the usual text).
inline void request_handler::collect_function_names()
{
    const simdjson::dom::object root = doc_.get_object().value_unsafe();   // check_request: an object
    simdjson::dom::array contents;
    simdjson::dom::object last;
    simdjson::dom::array parts;
    bool answered = false;
    if (root["contents"].get(contents) == simdjson::SUCCESS && contents.size() > 0 &&
        contents.at(contents.size() - 1).get(last) == simdjson::SUCCESS &&
        last["parts"].get(parts) == simdjson::SUCCESS) {
        for (const simdjson::dom::element part : parts) {
            simdjson::dom::object response;
            if (part.is_object() && part["functionResponse"].get(response) == simdjson::SUCCESS) {
                answered = true;
                std::string_view name;
                if (response["name"].get(name) == simdjson::SUCCESS) {
                    h_.names.push_back(name);
                }
            }
        }
    }
    if (answered) {
        content_ = content_kind::results;
        return;
    }
    std::string_view mode;
    if (root.at_pointer("/toolConfig/functionCallingConfig/mode").get(mode) == simdjson::SUCCESS && mode == "NONE") {
        return;
    }
    simdjson::dom::array tools;
    if (root["tools"].get(tools) != simdjson::SUCCESS) {
        return;
    }
    for (const simdjson::dom::element tool : tools) {
        simdjson::dom::array declarations;
        if (!tool.is_object() || tool["functionDeclarations"].get(declarations) != simdjson::SUCCESS) {
            continue;
        }
        for (const simdjson::dom::element declaration : declarations) {
            std::string_view name;
            if (declaration.is_object() && declaration["name"].get(name) == simdjson::SUCCESS) {
                h_.names.push_back(name);
            }
        }
    }
    if (!h_.names.empty()) {
        content_ = content_kind::calls;
    }
}

inline std::size_t request_handler::event_count() const noexcept
{
    return content_ == content_kind::blocked || content_ == content_kind::calls ? 1
                                                                                : std::max<std::size_t>(o_.events, 1);
}

// Words [first_word, first_word + words) of the answer; the first piece of a conversation that
// goes on after function results starts with "Results for: NAME1, NAME2. ".
inline void request_handler::append_answer_text(std::string& out, std::uint64_t offset, std::size_t first_word,
                                                std::size_t words) const
{
    if (content_ == content_kind::results && first_word == 0) {
        out.append("Results for: ");
        for (std::size_t i = 0; i < h_.names.size(); ++i) {
            out.append(i == 0 ? "" : ", ").append(h_.names[i]);
        }
        out.append(". ");
    }
    append_words(out, offset, first_word, words);
}

// The finish of the last event or the unary answer.
inline candidate_extras request_handler::final_extras(std::uint64_t offset) const
{
    candidate_extras x;
    switch (content_) {
    case content_kind::safety:
        x.finish_reason = "SAFETY";
        x.blocked_ratings = true;
        break;
    case content_kind::recitation: {
        x.finish_reason = "RECITATION";
        std::string all;
        append_answer_text(all, offset, 0,
                           std::max<std::size_t>(o_.events, 1) * std::max<std::size_t>(o_.words_per_event, 1));
        x.citation_end = all.size();
        break;
    }
    default: x.finish_reason = "STOP"; break;
    }
    return x;
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_CONTENT_HPP
