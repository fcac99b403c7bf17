// llmio-chat: a streaming terminal chat on gemini::chat. Each line you type is a user turn;
// the reply streams in as it arrives; the session keeps the history (thought signatures
// included) and sends it with every turn.
//
//   llmio-chat [--input FILE] [--system TEXT] [--max-history-tokens N] [common flags]
//   printf 'hi\nmore\n/history\n' | llmio-chat
//
// Commands: /history (the turns so far), /reset (a new conversation), /quit (or end of input).
//
// The terminal is read with a blocking std::getline between replies; while a reply streams,
// the io_context runs until that reply is complete. With a pipe or --input, each line is
// echoed after the prompt sign so the output reads as a transcript.
//
// Exit status: 0 when every reply finished well, 1 when one failed (its error was printed; the
// conversation went on without that turn), 2 for bad flags or an unreadable --input.
#include "support.hpp"

#include <llmio/gemini/chat.hpp>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <variant>

namespace {

namespace gemini = llmio::gemini;
constexpr auto tuple_awaitable = asio::experimental::as_tuple(asio::use_awaitable);

/// Streams the reply to what send() queued. Returns false when it failed.
asio::awaitable<bool> stream_reply(gemini::chat& session)
{
    for (;;) {
        auto [ec, chunk] = co_await session.async_next(tuple_awaitable);
        if (ec) {
            // A failed send leaves the history as it was before it: just type the line again.
            // The stream's message is the detailed one; chat errors (too many function rounds)
            // have only their own.
            std::string why = session.current().error_message();
            if (why.empty()) {
                why = ec.message();
            }
            std::fprintf(stderr, "\nllmio-chat: the reply failed: %s\n", why.c_str());
            if (!session.reply_text().empty()) {
                std::fprintf(stderr, "(partial reply, not kept in the history: %zu bytes)\n",
                             session.reply_text().size());
            }
            co_return false;
        }
        if (chunk == nullptr) {
            co_return true;   // complete, and in history()
        }
        examples::print_now(session.chunk_text());
    }
}

/// One line per turn: its role and the start of its text.
void print_history(const gemini::chat& session)
{
    const auto& turns = session.history();
    std::printf("-- %zu turns (%zu trimmed so far)\n", turns.size(), session.trimmed_turns());
    for (const gemini::content& turn : turns) {
        std::string text;
        for (const gemini::content_part& p : turn.parts) {
            if (const auto* t = std::get_if<std::string>(&p.value); t != nullptr && !p.thought) {
                text += *t;
            }
        }
        if (text.size() > 70) {
            text = text.substr(0, 67) + "...";
        }
        std::printf("   %-5s %s\n", turn.role == gemini::role::user ? "user" : "model", text.c_str());
    }
}

} // namespace

int main(int argc, char** argv)
{
    examples::common_flags flags;
    std::string input_file;
    std::string system_text;
    int max_history_tokens = 0;
    if (!examples::parse_flags(argc, argv, flags,
                               {{"--input", &input_file},
                                {"--system", &system_text},
                                {"--max-history-tokens", &max_history_tokens}})) {
        std::printf("usage: llmio-chat [flags]   (lines from stdin; /history, /reset, /quit)\n"
                    "  --input FILE   read the lines from FILE instead of stdin\n"
                    "  --system TEXT  a system instruction\n"
                    "  --max-history-tokens N  trim the oldest turns past N tokens (0: keep all)\n%s",
                    examples::common_usage.data());
        return 2;
    }
    std::ifstream file;
    if (!input_file.empty()) {
        file.open(input_file);
        if (!file) {
            std::fprintf(stderr, "llmio-chat: cannot read %s\n", input_file.c_str());
            return 2;
        }
    }
    std::istream& in = input_file.empty() ? std::cin : file;
    const bool interactive = input_file.empty() && ::isatty(STDIN_FILENO) != 0;

    examples::backend backend("llmio-chat", flags);
    if (const std::error_code ec = backend.start()) {
        std::fprintf(stderr, "llmio-chat: cannot start the mock server: %s\n", ec.message().c_str());
        return 1;
    }
    asio::io_context io(1);
    auto client = examples::make_client("llmio-chat", io, backend.client_options());
    if (!client) {
        return 1;
    }

    gemini::chat_options options{.model = flags.model,
                                 .max_history_tokens = static_cast<std::size_t>(max_history_tokens)};
    if (!system_text.empty()) {
        options.system_instruction = gemini::content{.parts = {gemini::content_part::from_text(system_text)}};
    }
    // A chat has no "clear": /reset makes a new one.
    std::optional<gemini::chat> session;
    session.emplace(*client, options);

    bool all_ok = true;
    std::string line;
    for (;;) {
        std::printf("\n> ");
        std::fflush(stdout);
        if (!std::getline(in, line) || line == "/quit") {
            std::printf("\n");
            break;
        }
        if (!interactive) {
            std::printf("%s\n", line.c_str());   // a transcript shows what was said
        }
        if (line.empty()) {
            continue;
        }
        if (line == "/history") {
            print_history(*session);
            continue;
        }
        if (line == "/reset") {
            session.emplace(*client, options);
            std::printf("-- a new conversation\n");
            continue;
        }
        // send() appends the user turn and encodes the request; nothing is sent yet.
        if (const std::error_code ec = session->send(line)) {
            std::fprintf(stderr, "llmio-chat: %s\n", ec.message().c_str());
            all_ok = false;
            continue;
        }
        // Run the io_context until this reply is complete. (The client keeps timers for its
        // idle connections, so io.run() would not return by itself between turns.)
        bool done = false;
        asio::co_spawn(io, stream_reply(*session), [&](std::exception_ptr e, bool ok) {
            all_ok = all_ok && ok && !e;
            done = true;
        });
        io.restart();
        while (!done && io.run_one() > 0) {
        }
        std::printf("\n");
    }
    // End the chat first (its stream keeps a connection's watchdog timer armed between
    // replies), then close the pooled connections: io.run() then returns at once.
    session.reset();
    client->shutdown();
    io.restart();
    io.run();
    return all_ok ? 0 : 1;
}
