// llmio::sse::error: its category and the shared conditions it answers.
#include <llmio/sse/error.hpp>

#include <support/catch.hpp>

#include <string>
#include <system_error>

TEST_CASE("sse error codes")
{
    const std::error_code line = llmio::sse::error::line_too_long;
    const std::error_code event = llmio::sse::make_error_code(llmio::sse::error::event_too_large);

    CHECK(std::string(line.category().name()) == "llmio.sse");
    CHECK(&event.category() == &llmio::sse::error_category());
    CHECK(line.value() == 1);
    CHECK(line != event);
    CHECK(!line.message().empty());
    CHECK(line.message() != event.message());
    CHECK(llmio::sse::error_category().message(99) == "unknown llmio.sse error");

    for (const std::error_code& ec : {line, event}) {
        CHECK(ec == llmio::condition::limit_exceeded);
        CHECK(ec == llmio::condition::protocol_error);
        CHECK(ec != llmio::condition::retryable);
        CHECK(ec != llmio::condition::truncated);
        CHECK(ec != std::errc::message_size);   // another category's condition
    }
}
