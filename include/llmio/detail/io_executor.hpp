// Whether a handler runs on a given io_context executor: the test behind every place that
// binds a handler to the concrete executor (to keep completions off Asio 1.22's type-erased
// path, HACKING.md "Hard rules") without moving a handler off its own strand. Not API.
#ifndef LLMIO_DETAIL_IO_EXECUTOR_HPP
#define LLMIO_DETAIL_IO_EXECUTOR_HPP

#include <asio/any_io_executor.hpp>
#include <asio/associated_executor.hpp>
#include <asio/io_context.hpp>

#include <cstdint>
#include <typeinfo>
#include <memory>
#include <utility>

namespace llmio::detail {

/// True when `e` is an executor of `io`'s io_context: the plain one, or one of its variants
/// (outstanding work tracked, as inside a composed operation; blocking.never; continuation).
template <class Allocator, std::uintptr_t Bits>
[[nodiscard]] bool same_io_executor(const asio::io_context::basic_executor_type<Allocator, Bits>& e,
                                    const asio::io_context::executor_type& io) noexcept
{
    return &e.context() == &io.context();
}

/// `e`'s target when it is exactly an `Executor`, else null. any_io_executor::target<T>() in
/// Asio 1.22 casts without looking at the type (a strand would come back as an io_context
/// executor); this looks first. Without RTTI (ASIO_NO_TYPEID) it cannot, and says null: the
/// callers then take their generic path, which is correct, only slower.
template <class Executor>
[[nodiscard]] const Executor* target_as(const asio::any_io_executor& e) noexcept
{
#if !defined(ASIO_NO_TYPEID)
    if (e && e.target_type() == typeid(Executor)) {
        return e.target<Executor>();
    }
#endif
    return nullptr;
}

/// The concrete io_context executor `e` holds, or null (a strand, a thread pool, ...).
[[nodiscard]] inline const asio::io_context::executor_type* io_executor_of(const asio::any_io_executor& e) noexcept
{
    return target_as<asio::io_context::executor_type>(e);
}

/// The io_context of `e` when it holds that io_context executor variant, else null.
template <std::uintptr_t Bits>
[[nodiscard]] const asio::io_context* io_context_of(const asio::any_io_executor& e) noexcept
{
    const auto* t = target_as<asio::io_context::basic_executor_type<std::allocator<void>, Bits>>(e);
    return t != nullptr ? &t->context() : nullptr;
}

/// The same, through an any_io_executor: only its target type tells an io_context executor
/// from a strand over one (both answer the same context), so each variant is tried.
[[nodiscard]] inline bool same_io_executor(const asio::any_io_executor& e,
                                           const asio::io_context::executor_type& io) noexcept
{
    const asio::io_context* found = nullptr;
    [&]<std::uintptr_t... Bits>(std::integer_sequence<std::uintptr_t, Bits...>) {
        ((found = found != nullptr ? found : io_context_of<Bits>(e)), ...);
    }(std::make_integer_sequence<std::uintptr_t, 8>{});
    return found == &io.context();
}

template <class Executor>
[[nodiscard]] bool same_io_executor(const Executor&, const asio::io_context::executor_type&) noexcept
{
    return false;   // a strand, a thread pool, ...
}

/// The handler runs on `io` anyway (its associated executor is `io`, possibly inside an
/// any_io_executor, or it has none): binding it to `io`, or invoking it from a function posted
/// to `io`, does not change where it runs. For any other executor (a strand) it would.
template <class Handler>
[[nodiscard]] bool runs_on(const Handler& handler, const asio::io_context::executor_type& io) noexcept
{
    return same_io_executor(asio::get_associated_executor(handler, io), io);
}

} // namespace llmio::detail

#endif // LLMIO_DETAIL_IO_EXECUTOR_HPP
