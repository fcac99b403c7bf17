// llmio/testing/detail/mock_stream_state.hpp: the shared state behind one end of a
// llmio::testing::mock_stream, and its type-erased pending operations. Not API.
//
// Invariants: at most one read and one write are pending per end; a pending operation is
// owned by its `pending` slot until it is completed (handler posted) or destroyed; every
// completion goes through asio::post, so no handler ever runs inside the call that completed
// it. Cancellation handlers hold a weak_ptr and the operation's id, so a stale emission (after
// the stream is gone, or for an operation that already finished) does nothing.
#ifndef LLMIO_TESTING_DETAIL_MOCK_STREAM_STATE_HPP
#define LLMIO_TESTING_DETAIL_MOCK_STREAM_STATE_HPP

#include <asio/any_io_executor.hpp>
#include <asio/associated_allocator.hpp>
#include <asio/associated_cancellation_slot.hpp>
#include <asio/associated_executor.hpp>
#include <asio/bind_allocator.hpp>
#include <asio/bind_executor.hpp>
#include <asio/buffer.hpp>
#include <asio/cancellation_type.hpp>
#include <asio/error.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/post.hpp>
#include <asio/recycling_allocator.hpp>
#include <asio/steady_timer.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace llmio::testing::detail {

enum class mock_direction : std::uint8_t { read, write };

/// A pending read or write with its handler, erased to what the state needs.
class mock_op {
public:
    /// Posts handler(ec, n) and frees the operation. `clear_slot` is false only when called
    /// from the operation's own cancellation handler, which must not be destroyed mid-call.
    virtual void complete(std::error_code ec, std::size_t n, bool clear_slot) = 0;
    /// Frees the operation without calling the handler.
    virtual void destroy() noexcept = 0;
    /// Total bytes of the buffer sequence.
    [[nodiscard]] virtual std::size_t size() const noexcept = 0;
    /// Read operations: copies `src` into the buffers, returns the bytes copied.
    virtual std::size_t fill(std::string_view src) noexcept = 0;
    /// Write operations: copies up to `n` bytes of the buffers to `dst`, returns the bytes copied.
    virtual std::size_t drain(char* dst, std::size_t n) noexcept = 0;

protected:
    mock_op() = default;
    ~mock_op() = default;
};

/// The handler with its arguments, invoked where asio::post sends it.
template <class Handler>
struct mock_bound_completion {
    Handler handler;
    std::error_code ec;
    std::size_t n;
    void operator()() { std::move(handler)(ec, n); }
};

template <class Handler, class Buffers>
class mock_op_impl final : public mock_op {
    using default_alloc = asio::recycling_allocator<void>;
    using op_alloc = typename std::allocator_traits<asio::associated_allocator_t<Handler, default_alloc>>::
        template rebind_alloc<mock_op_impl>;
    using handler_executor = asio::associated_executor_t<Handler, asio::any_io_executor>;

public:
    /// Allocates with the handler's associated allocator (Asio's recycling allocator when it
    /// has none), so a warm stream allocates nothing per operation.
    static mock_op_impl* create(Handler&& handler, const Buffers& buffers, const asio::any_io_executor& io)
    {
        op_alloc alloc(asio::get_associated_allocator(handler, default_alloc()));
        mock_op_impl* p = std::allocator_traits<op_alloc>::allocate(alloc, 1);
        try {
            ::new (static_cast<void*>(p)) mock_op_impl(std::move(handler), buffers, io);
        }
        catch (...) {
            std::allocator_traits<op_alloc>::deallocate(alloc, p, 1);
            throw;
        }
        return p;
    }

    void complete(std::error_code ec, std::size_t n, bool clear_slot) override
    {
        if (clear_slot) {
            if (auto slot = asio::get_associated_cancellation_slot(handler_); slot.is_connected()) {
                slot.clear();
            }
        }
        // Memory goes back before the upcall (Asio's rule: the handler may start the next
        // operation, which can then reuse it). The work guard lives until post has its own.
        Handler handler(std::move(handler_));
        asio::executor_work_guard<handler_executor> work(std::move(work_));
        const asio::any_io_executor io = io_;
        free();
        const handler_executor ex = asio::get_associated_executor(handler, io);
        const auto alloc = asio::get_associated_allocator(handler);
        asio::post(io, asio::bind_allocator(alloc, asio::bind_executor(ex,
            mock_bound_completion<Handler>{std::move(handler), ec, n})));
    }

    void destroy() noexcept override { free(); }

    [[nodiscard]] std::size_t size() const noexcept override { return asio::buffer_size(buffers_); }

    std::size_t fill(std::string_view src) noexcept override
    {
        if constexpr (asio::is_mutable_buffer_sequence<Buffers>::value) {
            return asio::buffer_copy(buffers_, asio::buffer(src.data(), src.size()));
        }
        else {
            return 0;
        }
    }

    std::size_t drain(char* dst, std::size_t n) noexcept override
    {
        return asio::buffer_copy(asio::buffer(dst, n), buffers_);
    }

private:
    mock_op_impl(Handler&& handler, const Buffers& buffers, const asio::any_io_executor& io)
        : handler_(std::move(handler)), buffers_(buffers), io_(io),
          work_(asio::get_associated_executor(handler_, io))
    {
    }
    ~mock_op_impl() = default;

    void free() noexcept
    {
        op_alloc alloc(asio::get_associated_allocator(handler_, default_alloc()));
        this->~mock_op_impl();
        std::allocator_traits<op_alloc>::deallocate(alloc, this, 1);
    }

    Handler handler_;
    Buffers buffers_;
    asio::any_io_executor io_;
    // Like a socket's pending operation, a pending one keeps the handler's executor busy:
    // io_context::run() does not return while a read waits for data.
    asio::executor_work_guard<handler_executor> work_;
};

class mock_stream_state : public std::enable_shared_from_this<mock_stream_state> {
public:
    static constexpr std::size_t unlimited = static_cast<std::size_t>(-1);
    using duration = std::chrono::steady_clock::duration;

    explicit mock_stream_state(const asio::any_io_executor& ex) : ex_(ex), read_(ex), write_(ex) {}

    mock_stream_state(const mock_stream_state&) = delete;
    mock_stream_state& operator=(const mock_stream_state&) = delete;

    ~mock_stream_state()
    {
        for (pending* p : {&read_, &write_}) {
            if (p->op != nullptr) {
                std::exchange(p->op, nullptr)->destroy();
            }
        }
    }

    // ---- configuration and inspection (called by mock_stream) -------------------------------

    asio::any_io_executor ex_;
    std::weak_ptr<mock_stream_state> peer_;
    bool paired_ = false;

    std::string input_;
    std::size_t input_pos_ = 0;
    bool input_closed_ = false;
    std::string written_;
    bool closed_ = false;
    bool reset_ = false;

    std::vector<std::pair<std::size_t, std::error_code>> read_failures_, write_failures_;
    std::size_t max_read_ = unlimited;
    std::size_t max_write_ = unlimited;
    duration read_delay_{};
    duration write_delay_{};
    std::size_t reset_after_ = unlimited;

    std::size_t reads_ = 0;
    std::size_t writes_ = 0;
    std::size_t bytes_read_ = 0;
    std::size_t bytes_written_ = 0;
    std::uint64_t next_id_ = 1;

    /// Bytes arrive from the remote (the test's script or the peer end's write).
    void deliver(std::string_view bytes)
    {
        input_.append(bytes);
        wake_read();
    }

    /// The remote will send nothing more: EOF once the buffered bytes are read.
    void end_input()
    {
        input_closed_ = true;
        wake_read();
    }

    void close()
    {
        if (closed_) {
            return;
        }
        closed_ = true;
        for (const mock_direction d : {mock_direction::read, mock_direction::write}) {
            if (at(d).op != nullptr) {
                at(d).timer.cancel();
                finish(d, asio::error::operation_aborted, 0, true);
            }
        }
        if (const auto peer = peer_.lock()) {
            peer->end_input();
        }
    }

    // ---- operations -------------------------------------------------------------------------

    /// Takes ownership of `op` (id `id`) and runs it: delay, injected failure, then transfer.
    void begin(mock_direction d, mock_op* op, std::uint64_t id)
    {
        pending& p = at(d);
        if (closed_) {
            op->complete(asio::error::bad_descriptor, 0, true);
            return;
        }
        if (p.op != nullptr) {
            op->complete(asio::error::already_started, 0, true);   // one at a time, as sockets
            return;
        }
        p.op = op;
        p.id = id;
        p.index = d == mock_direction::read ? ++reads_ : ++writes_;
        const duration delay = d == mock_direction::read ? read_delay_ : write_delay_;
        if (delay > duration::zero()) {
            p.delaying = true;
            p.timer.expires_after(delay);
            p.timer.async_wait([self = shared_from_this(), d, id](std::error_code ec) {
                self->on_delay_done(d, id, ec);
            });
            return;
        }
        attempt(d);
    }

    /// A cancellation slot was emitted for operation `id`.
    void cancel(mock_direction d, std::uint64_t id)
    {
        pending& p = at(d);
        if (p.op == nullptr || p.id != id) {
            return;   // already finished: nothing to cancel
        }
        if (p.delaying) {
            p.timer.cancel();
        }
        finish(d, asio::error::operation_aborted, 0, false);
    }

private:
    struct pending {
        explicit pending(const asio::any_io_executor& ex) : timer(ex) {}
        mock_op* op = nullptr;
        std::uint64_t id = 0;
        std::size_t index = 0;   // 1-based count of this operation on this end
        bool delaying = false;
        asio::steady_timer timer;
    };

    pending& at(mock_direction d) noexcept { return d == mock_direction::read ? read_ : write_; }

    void finish(mock_direction d, std::error_code ec, std::size_t n, bool clear_slot)
    {
        pending& p = at(d);
        mock_op* op = std::exchange(p.op, nullptr);
        p.delaying = false;
        op->complete(ec, n, clear_slot);
    }

    void on_delay_done(mock_direction d, std::uint64_t id, std::error_code ec)
    {
        pending& p = at(d);
        if (p.op == nullptr || p.id != id || !p.delaying) {
            return;   // cancelled or closed meanwhile; that path completed it
        }
        p.delaying = false;
        if (ec) {
            finish(d, asio::error::operation_aborted, 0, true);
            return;
        }
        attempt(d);
    }

    [[nodiscard]] static std::error_code injected(std::vector<std::pair<std::size_t, std::error_code>>& list,
                                                  std::size_t index)
    {
        const auto it = std::find_if(list.begin(), list.end(), [&](const auto& f) { return f.first == index; });
        if (it == list.end()) {
            return {};
        }
        const std::error_code ec = it->second;
        list.erase(it);
        return ec;
    }

    void wake_read()
    {
        if (read_.op != nullptr && !read_.delaying) {
            attempt(mock_direction::read);
        }
    }

    void attempt(mock_direction d)
    {
        if (d == mock_direction::read) {
            attempt_read();
        }
        else {
            attempt_write();
        }
    }

    void attempt_read()
    {
        mock_op& op = *read_.op;
        if (const std::error_code ec = injected(read_failures_, read_.index)) {
            return finish(mock_direction::read, ec, 0, true);
        }
        if (reset_) {
            return finish(mock_direction::read, asio::error::connection_reset, 0, true);
        }
        const std::size_t size = op.size();
        if (size == 0) {
            return finish(mock_direction::read, {}, 0, true);   // as sockets: no wait for nothing
        }
        if (reset_after_ != unlimited && bytes_read_ >= reset_after_) {
            reset_ = true;
            return finish(mock_direction::read, asio::error::connection_reset, 0, true);
        }
        const std::size_t available = input_.size() - input_pos_;
        if (available == 0) {
            if (input_closed_) {
                finish(mock_direction::read, asio::error::eof, 0, true);
            }
            return;   // parked until data, EOF, close or cancellation
        }
        std::size_t n = std::min({available, size, max_read_});
        if (reset_after_ != unlimited) {
            n = std::min(n, reset_after_ - bytes_read_);
        }
        n = op.fill(std::string_view(input_).substr(input_pos_, n));
        input_pos_ += n;
        bytes_read_ += n;
        if (input_pos_ == input_.size()) {
            input_.clear();   // keeps the capacity
            input_pos_ = 0;
        }
        else if (input_pos_ >= 4096 && input_pos_ * 2 >= input_.size()) {
            input_.erase(0, input_pos_);
            input_pos_ = 0;
        }
        finish(mock_direction::read, {}, n, true);
    }

    void attempt_write()
    {
        mock_op& op = *write_.op;
        if (const std::error_code ec = injected(write_failures_, write_.index)) {
            return finish(mock_direction::write, ec, 0, true);
        }
        if (reset_) {
            return finish(mock_direction::write, asio::error::connection_reset, 0, true);
        }
        const std::size_t size = op.size();
        if (size == 0) {
            return finish(mock_direction::write, {}, 0, true);
        }
        std::shared_ptr<mock_stream_state> peer;
        if (paired_) {
            peer = peer_.lock();
            if (!peer || peer->closed_) {
                return finish(mock_direction::write, asio::error::broken_pipe, 0, true);
            }
        }
        const std::size_t old = written_.size();
        written_.resize(old + std::min(size, max_write_));
        const std::size_t n = op.drain(written_.data() + old, written_.size() - old);
        bytes_written_ += n;
        if (peer) {
            peer->deliver(std::string_view(written_).substr(old, n));
        }
        finish(mock_direction::write, {}, n, true);
    }

    pending read_;
    pending write_;
};

/// Installed in an operation's cancellation slot.
struct mock_cancel_handler {
    std::weak_ptr<mock_stream_state> state;
    mock_direction direction;
    std::uint64_t id;

    void operator()(asio::cancellation_type type) const
    {
        // Nothing has been transferred while an operation is pending, so every kind of
        // cancellation (terminal, partial, total) is honoured.
        if ((type & (asio::cancellation_type::terminal | asio::cancellation_type::partial |
                     asio::cancellation_type::total)) == asio::cancellation_type::none) {
            return;
        }
        if (const auto s = state.lock()) {
            s->cancel(direction, id);
        }
    }
};

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_MOCK_STREAM_STATE_HPP
