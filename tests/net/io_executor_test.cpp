// llmio::detail::runs_on: the test that decides whether a completion may be bound to (or posted
// through) the concrete io_context executor. Wrongly false costs an allocation per completion
// through Asio's type-erased path; wrongly true moves a handler off its strand.
#include <llmio/detail/io_executor.hpp>

#include "support/catch.hpp"

#include <asio/bind_executor.hpp>
#include <asio/execution.hpp>
#include <asio/prefer.hpp>
#include <asio/require.hpp>
#include <asio/strand.hpp>
#include <asio/thread_pool.hpp>

using llmio::detail::runs_on;
using llmio::detail::same_io_executor;

namespace {
struct plain_handler {
    void operator()() const {}
};
} // namespace

TEST_CASE("an io_context executor in any of its variants is the same io executor", "[net][executor]")
{
    asio::io_context io;
    const auto ex = io.get_executor();
    CHECK(same_io_executor(ex, ex));
    // A composed operation's work guard holds the tracked variant, and its handler answers it.
    const auto tracked = asio::prefer(ex, asio::execution::outstanding_work.tracked);
    CHECK(same_io_executor(tracked, ex));
    CHECK(same_io_executor(asio::require(ex, asio::execution::blocking.never), ex));
    CHECK(same_io_executor(asio::prefer(ex, asio::execution::relationship.continuation), ex));

    // The same, type-erased.
    CHECK(same_io_executor(asio::any_io_executor(ex), ex));
    CHECK(same_io_executor(asio::any_io_executor(tracked), ex));
    CHECK(same_io_executor(asio::prefer(asio::any_io_executor(ex), asio::execution::outstanding_work.tracked), ex));

    // Another io_context is not.
    asio::io_context other;
    CHECK_FALSE(same_io_executor(other.get_executor(), ex));
    CHECK_FALSE(same_io_executor(asio::any_io_executor(other.get_executor()), ex));
}

TEST_CASE("a strand or a thread pool is not the io executor, though a strand shares its context", "[net][executor]")
{
    asio::io_context io;
    const auto ex = io.get_executor();
    const auto strand = asio::make_strand(io);
    CHECK_FALSE(same_io_executor(strand, ex));
    CHECK_FALSE(same_io_executor(asio::any_io_executor(strand), ex));
    asio::thread_pool pool(1);
    CHECK_FALSE(same_io_executor(asio::any_io_executor(pool.get_executor()), ex));
    pool.join();
}

TEST_CASE("runs_on: a handler with no executor of its own runs where it is completed", "[net][executor]")
{
    asio::io_context io;
    const auto ex = io.get_executor();
    CHECK(runs_on(plain_handler{}, ex));
    CHECK(runs_on(asio::bind_executor(ex, plain_handler{}), ex));
    CHECK(runs_on(asio::bind_executor(asio::any_io_executor(ex), plain_handler{}), ex));
    CHECK(runs_on(asio::bind_executor(asio::prefer(ex, asio::execution::outstanding_work.tracked), plain_handler{}), ex));
    CHECK_FALSE(runs_on(asio::bind_executor(asio::make_strand(io), plain_handler{}), ex));
    CHECK_FALSE(runs_on(asio::bind_executor(asio::any_io_executor(asio::make_strand(io)), plain_handler{}), ex));
}
