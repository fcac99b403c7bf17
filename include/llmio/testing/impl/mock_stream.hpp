// Bodies of llmio/testing/mock_stream.hpp.
#ifndef LLMIO_TESTING_IMPL_MOCK_STREAM_HPP
#define LLMIO_TESTING_IMPL_MOCK_STREAM_HPP

namespace llmio::testing {

/// The initiation of both operations (asio::async_initiate calls it with the final handler).
struct mock_stream::initiate_op {
    std::shared_ptr<detail::mock_stream_state> state;
    detail::mock_direction direction;

    template <class Handler, class Buffers>
    void operator()(Handler&& handler, const Buffers& buffers) const
    {
        using op_type = detail::mock_op_impl<std::decay_t<Handler>, Buffers>;
        auto slot = asio::get_associated_cancellation_slot(handler);
        const std::uint64_t id = state->next_id_++;
        std::decay_t<Handler> h(std::forward<Handler>(handler));
        detail::mock_op* op = op_type::create(std::move(h), buffers, state->ex_);
        if (slot.is_connected()) {
            slot.template emplace<detail::mock_cancel_handler>(
                detail::mock_cancel_handler{state, direction, id});
        }
        state->begin(direction, op, id);
    }
};

inline mock_stream::mock_stream(const executor_type& ex)
    : state_(std::make_shared<detail::mock_stream_state>(ex))
{
}

inline std::pair<mock_stream, mock_stream> mock_stream::pair(const executor_type& ex)
{
    std::pair<mock_stream, mock_stream> ends{mock_stream(ex), mock_stream(ex)};
    ends.first.state_->peer_ = ends.second.state_;
    ends.second.state_->peer_ = ends.first.state_;
    ends.first.state_->paired_ = true;
    ends.second.state_->paired_ = true;
    return ends;
}

inline mock_stream& mock_stream::operator=(mock_stream&& other) noexcept
{
    if (this != &other) {
        if (state_) {
            state_->close();
        }
        state_ = std::move(other.state_);
    }
    return *this;
}

inline mock_stream::~mock_stream()
{
    if (state_) {
        state_->close();
    }
}

template <class MutableBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> ReadToken>
auto mock_stream::async_read_some(const MutableBufferSequence& buffers, ReadToken&& token)
{
    return asio::async_initiate<ReadToken, void(std::error_code, std::size_t)>(
        initiate_op{state_, detail::mock_direction::read}, token, buffers);
}

template <class ConstBufferSequence, asio::completion_token_for<void(std::error_code, std::size_t)> WriteToken>
auto mock_stream::async_write_some(const ConstBufferSequence& buffers, WriteToken&& token)
{
    return asio::async_initiate<WriteToken, void(std::error_code, std::size_t)>(
        initiate_op{state_, detail::mock_direction::write}, token, buffers);
}

} // namespace llmio::testing

#endif // LLMIO_TESTING_IMPL_MOCK_STREAM_HPP
