// llmio/testing/mock_stream.hpp: an in-memory stream with injected failures, so transport
// logic (framing, timeouts, cancellation, retries) is tested without sockets.
//
// A mock_stream models Asio's AsyncReadStream and AsyncWriteStream on the executor it is
// given. Its remote side is either scripted by the test or a second mock_stream:
//
//     asio::io_context ctx;
//     testing::mock_stream s(ctx.get_executor());
//     s.append_input(llmio::testing::chunked_response(body, 64));   // what the server sends
//     s.close_input();                                                // then EOF
//     s.max_read_size(3);                                             // short reads
//     s.fail_nth_write(2, asio::error::connection_reset);             // the 2nd write fails
//     asio::co_spawn(ctx, client(s), asio::detached);
//     ctx.run();
//     CHECK(s.written().starts_with("POST "));
//
//     auto [a, b] = testing::mock_stream::pair(ctx.get_executor());   // two connected ends
//
// Faults: the Nth read or write fails with a given code; reads return at most k bytes; reads
// and writes wait a delay on an asio::steady_timer first; the connection resets after n bytes
// were read. Everything runs on the executor: no threads, nothing blocks, and every handler is
// posted (never run inside the call that started or completed the operation).
//
// Thread safety: none, as for an Asio socket. Use one end from one thread at a time (one
// io_context thread, or a strand); the two ends of a pair share that rule.
//
// Lifetime: as with sockets, close or destroy every end before its execution context. A read
// still waiting when the io_context is destroyed keeps its handler, and through it possibly
// the coroutine that owns the stream: that cycle is never freed. A waiting read also keeps
// io_context::run() from returning (it counts as outstanding work, as a socket read does), so
// tests that may leave one waiting by mistake should call run_for() rather than run().
// A moved-from mock_stream may only be destroyed or assigned to.
#ifndef LLMIO_TESTING_MOCK_STREAM_HPP
#define LLMIO_TESTING_MOCK_STREAM_HPP

#include <llmio/testing/detail/mock_stream_state.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

namespace llmio::testing {

class mock_stream {
public:
    using executor_type = asio::any_io_executor;

    /// One end whose remote is scripted: append_input() and close_input() say what it sends,
    /// written() shows what this end wrote.
    explicit mock_stream(const executor_type& ex);

    /// Two connected ends on `ex`: what one writes, the other reads; closing or destroying one
    /// is EOF for the other (after the bytes already sent), and its writes then fail with
    /// asio::error::broken_pipe. Each end still has its own faults and its own written().
    [[nodiscard]] static std::pair<mock_stream, mock_stream> pair(const executor_type& ex);

    mock_stream(mock_stream&& other) noexcept = default;
    /// Closes this end first, as assigning a socket does.
    mock_stream& operator=(mock_stream&& other) noexcept;
    mock_stream(const mock_stream&) = delete;
    mock_stream& operator=(const mock_stream&) = delete;
    /// Closes the end (see close()).
    ~mock_stream();

    [[nodiscard]] executor_type get_executor() const noexcept { return state_->ex_; }

    // ---- Asynchronous operations --------------------------------------------------------------

    /// Reads some bytes into `buffers`.
    ///
    /// Completes when at least one byte was copied (at most max_read_size(), and never past
    /// the reset_after_bytes() point), when the remote's bytes are exhausted and its input is
    /// closed (asio::error::eof, 0), at once for an empty buffer sequence ({}, 0), after
    /// read_delay() when one is set, or with an injected error. Otherwise it waits for bytes.
    ///
    /// Lifetime: the buffers must stay valid until the handler is called; the stream may be
    /// moved but must outlive the operation or be closed first.
    ///
    /// Completion signature: void(std::error_code, std::size_t bytes_read). Other errors:
    /// the fail_nth_read() code; asio::error::connection_reset after reset_after_bytes();
    /// asio::error::operation_aborted when cancelled or when the end is closed meanwhile;
    /// asio::error::bad_descriptor on a closed end; asio::error::already_started when a read
    /// is already pending on this end (one at a time, as composed operations assume).
    ///
    /// Cancellation: terminal, partial and total cancellation through the handler's
    /// associated cancellation slot complete a pending read (waiting or in its delay) promptly
    /// with operation_aborted and no bytes consumed.
    ///
    /// Thread safety: see the header comment. The handler runs through asio::post on this
    /// stream's executor, then on the handler's associated executor.
    template <class MutableBufferSequence,
              asio::completion_token_for<void(std::error_code, std::size_t)> ReadToken>
    auto async_read_some(const MutableBufferSequence& buffers, ReadToken&& token);

    /// Writes some bytes from `buffers`: all of them, or at most max_write_size(). Writes never
    /// wait for the reader (the remote buffers without limit).
    ///
    /// Completes after write_delay() when one is set, else at once (posted): with the bytes
    /// taken, appended to written() and delivered to the peer end if there is one.
    ///
    /// Lifetime: the buffers must stay valid until the handler is called.
    ///
    /// Completion signature: void(std::error_code, std::size_t bytes_written). Errors: the
    /// fail_nth_write() code; asio::error::connection_reset after a read reported the reset;
    /// asio::error::broken_pipe when the peer end is closed; operation_aborted,
    /// bad_descriptor and already_started as for reads.
    ///
    /// Cancellation: as for reads; only a write in its delay can be caught pending.
    ///
    /// Thread safety: see the header comment.
    template <class ConstBufferSequence,
              asio::completion_token_for<void(std::error_code, std::size_t)> WriteToken>
    auto async_write_some(const ConstBufferSequence& buffers, WriteToken&& token);

    // ---- The scripted remote ------------------------------------------------------------------

    /// Bytes the remote sends; a waiting read completes with them.
    void append_input(std::string_view bytes) { state_->deliver(bytes); }
    /// The remote sends nothing more: reads get asio::error::eof once the buffered bytes are
    /// read.
    void close_input() { state_->end_input(); }
    /// Everything this end wrote, in order. Valid until the next write, clear_written() or
    /// the end's destruction.
    [[nodiscard]] const std::string& written() const noexcept { return state_->written_; }
    /// Forgets written() (keeps its capacity), for long runs.
    void clear_written() noexcept { state_->written_.clear(); }

    /// Closes this end: pending operations complete with operation_aborted, later ones with
    /// bad_descriptor, and the peer end (if any) reads EOF after what was already sent.
    void close() { state_->close(); }
    [[nodiscard]] bool is_open() const noexcept { return state_ && !state_->closed_; }

    // ---- Faults -------------------------------------------------------------------------------

    /// The `n`th read on this end (1-based, counting every async_read_some since construction)
    /// completes with `ec` and no bytes, after its delay. Several may be set; each fires once.
    void fail_nth_read(std::size_t n, std::error_code ec) { state_->read_failures_.emplace_back(n, ec); }
    /// The same for writes.
    void fail_nth_write(std::size_t n, std::error_code ec) { state_->write_failures_.emplace_back(n, ec); }
    /// Each read returns at most `k` bytes (k >= 1; 0 means no limit again).
    void max_read_size(std::size_t k) noexcept { state_->max_read_ = k == 0 ? unlimited : k; }
    /// Each write takes at most `k` bytes (k >= 1; 0 means no limit again).
    void max_write_size(std::size_t k) noexcept { state_->max_write_ = k == 0 ? unlimited : k; }
    /// Every read waits `d` on a steady_timer before it looks for bytes (zero: no wait).
    void read_delay(std::chrono::steady_clock::duration d) noexcept { state_->read_delay_ = d; }
    /// Every write waits `d` before it takes bytes.
    void write_delay(std::chrono::steady_clock::duration d) noexcept { state_->write_delay_ = d; }
    /// Once `n` bytes in total have been read on this end, the next read (and every read and
    /// write after it) fails with asio::error::connection_reset. Reads stop exactly at `n`.
    void reset_after_bytes(std::size_t n) noexcept { state_->reset_after_ = n; }

    // ---- Counters -----------------------------------------------------------------------------

    /// async_read_some calls that got past the checks (closed, already pending) so far.
    [[nodiscard]] std::size_t reads() const noexcept { return state_->reads_; }
    [[nodiscard]] std::size_t writes() const noexcept { return state_->writes_; }
    [[nodiscard]] std::size_t bytes_read() const noexcept { return state_->bytes_read_; }
    [[nodiscard]] std::size_t bytes_written() const noexcept { return state_->bytes_written_; }

private:
    static constexpr std::size_t unlimited = detail::mock_stream_state::unlimited;

    struct initiate_op;

    std::shared_ptr<detail::mock_stream_state> state_;
};

} // namespace llmio::testing

#include <llmio/testing/impl/mock_stream.hpp>

#endif // LLMIO_TESTING_MOCK_STREAM_HPP
