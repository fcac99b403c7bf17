// llmio-frame-loop: llmio inside a game or UI loop, with plain callbacks and no coroutines.
//
//   llmio-frame-loop ["prompt"] [--work-ms N] [common flags]
//
// The program owns its loop: every 16 ms frame it calls io_context::poll() once, which runs
// whatever network work is ready and returns at once (it never waits for the network), then
// does its "other work" (here a busy wait of --work-ms, standing in for physics and
// rendering), then sleeps until the next frame (standing in for vsync). The stream is read
// with a callback that appends each chunk's text to a "UI buffer" and asks for the next
// chunk; the frame draws whatever text is new. Everything runs on this one thread, so the
// callback never races the frame's other work.
//
// At the end it prints the frame statistics: frames, frames that had new text, the longest and
// the mean time spent inside poll(), and frames that overran their 16 ms.
//
// Exit status: 0 when the answer finished well, 1 on an error, 2 for bad flags.
#include "support.hpp"

#include <asio/io_context.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

namespace {

namespace gemini = llmio::gemini;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

/// What the "UI" shows: text appended as chunks arrive, drawn by the frame loop.
struct ui_state {
    std::string buffer{};
    std::size_t drawn = 0;   // bytes of `buffer` already on screen
    bool finished = false;
    std::string error{};     // set when the stream failed
};

/// Asks for the next chunk. The handler runs inside a later io.poll(), on this thread: it
/// appends the chunk's text (a view, valid only until the next async_next, so it is copied
/// now) and asks for the next one, until the stream ends.
void read_next(gemini::stream& s, ui_state& ui)
{
    s.async_next([&s, &ui](std::error_code ec, const gemini::response* chunk) {
        if (ec) {
            ui.error = s.error_message();   // typed error, actionable message
            ui.finished = true;
            return;
        }
        if (chunk == nullptr) {
            ui.finished = true;   // the answer is complete
            return;
        }
        ui.buffer.append(s.chunk_text());
        read_next(s, ui);
    });
}

/// Stands in for the frame's own work: it keeps the CPU busy, as a game's frame does.
void other_work(clock_type::duration d)
{
    const auto until = clock_type::now() + d;
    while (clock_type::now() < until) {
    }
}

} // namespace

int main(int argc, char** argv)
{
    examples::common_flags flags;
    std::string prompt = "Write a haiku about sockets.";
    int work_ms = 4;
    if (!examples::parse_flags(argc, argv, flags, {{"--work-ms", &work_ms}}, &prompt) || work_ms > 15) {
        std::printf("usage: llmio-frame-loop [\"prompt\"] [flags]\n"
                    "  --work-ms N    busy work per 16 ms frame besides poll() (default 4, at most 15)\n%s",
                    examples::common_usage.data());
        return 2;
    }
    examples::backend backend("llmio-frame-loop", flags);
    if (const std::error_code ec = backend.start()) {
        std::fprintf(stderr, "llmio-frame-loop: cannot start the mock server: %s\n", ec.message().c_str());
        return 1;
    }

    asio::io_context io(1);   // driven by poll() only: nothing here ever blocks in it
    auto client = examples::make_client("llmio-frame-loop", io, backend.client_options());
    if (!client) {
        return 1;
    }
    // In an optional only to end it before the client's shutdown() at the end: a stream keeps
    // its connection's watchdog timer armed between requests.
    std::optional<gemini::stream> s(std::in_place, *client);
    if (const std::error_code ec = s->start(flags.model, examples::prompt_request(prompt))) {
        std::fprintf(stderr, "llmio-frame-loop: %s\n", ec.message().c_str());
        return 1;
    }
    ui_state ui;
    read_next(*s, ui);   // nothing happens until the first poll()

    constexpr auto frame = 16ms;
    constexpr std::size_t max_frames = 60s / frame;   // the client's deadlines end a stream sooner
    std::size_t frames = 0;
    std::size_t frames_with_text = 0;
    std::size_t late_frames = 0;
    clock_type::duration in_poll{0};
    clock_type::duration max_in_poll{0};
    auto next_frame = clock_type::now();
    while (!ui.finished && frames < max_frames) {
        const auto t0 = clock_type::now();
        io.poll();   // runs the handlers that are ready, then returns: never waits
        const auto spent = clock_type::now() - t0;
        in_poll += spent;
        max_in_poll = std::max(max_in_poll, spent);
        ++frames;

        if (ui.drawn < ui.buffer.size()) {   // "draw" the new text
            ++frames_with_text;
            examples::print_now(std::string_view(ui.buffer).substr(ui.drawn));
            ui.drawn = ui.buffer.size();
        }
        other_work(std::chrono::milliseconds(work_ms));

        next_frame += frame;
        if (clock_type::now() > next_frame) {
            ++late_frames;
            next_frame = clock_type::now();
        }
        std::this_thread::sleep_until(next_frame);   // "vsync"
    }

    std::printf("\n\nframes %zu (%lld ms each, %d ms of other work), %zu with new text; in poll(): max %.2f ms, "
                "mean %.3f ms; late frames %zu\n",
                frames, static_cast<long long>(frame.count()), work_ms, frames_with_text, examples::ms(max_in_poll),
                frames > 0 ? examples::ms(in_poll) / static_cast<double>(frames) : 0.0, late_frames);
    if (!ui.finished) {
        std::fprintf(stderr, "llmio-frame-loop: no answer within %zu frames\n", max_frames);
        return 1;   // ~stream abandons the request and closes its connection
    }
    if (ui.error.empty()) {
        std::printf("chunks %zu, finish %s, TTFT %.1f ms\n", s->chunks(),
                    std::string(gemini::to_string(s->finish_reason())).c_str(),
                    s->time_to_first_chunk() ? examples::ms(*s->time_to_first_chunk()) : -1.0);
    }
    else {
        std::fprintf(stderr, "llmio-frame-loop: %s\n", ui.error.c_str());
        if (!ui.buffer.empty()) {
            std::fprintf(stderr, "(the text above is the partial output)\n");
        }
    }
    // Leaving: end the stream, close the pooled connection, and let what is left finish
    // (nothing waits on the network any more, so this returns at once).
    s.reset();
    client->shutdown();
    io.restart();
    io.run();
    return ui.error.empty() ? 0 : 1;
}
