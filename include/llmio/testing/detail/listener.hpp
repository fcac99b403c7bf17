// llmio/testing/detail/listener.hpp: the listening socket both test servers open. Not API.
#ifndef LLMIO_TESTING_DETAIL_LISTENER_HPP
#define LLMIO_TESTING_DETAIL_LISTENER_HPP

#include <asio/ip/tcp.hpp>

#include <cstdint>
#include <string>
#include <system_error>

namespace llmio::testing::detail {

/// Opens, binds (reuse_address) and listens on `address:port`; returns the bound endpoint (the
/// real port when 0 was asked). On failure `ec` is set and the acceptor is closed.
[[nodiscard]] inline asio::ip::tcp::endpoint open_listener(asio::ip::tcp::acceptor& acceptor,
                                                           const std::string& address, std::uint16_t port,
                                                           std::error_code& ec)
{
    const asio::ip::address ip = asio::ip::make_address(address, ec);
    if (ec) {
        return {};
    }
    const asio::ip::tcp::endpoint at(ip, port);
    asio::ip::tcp::endpoint bound;
    acceptor.open(at.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        acceptor.bind(at, ec);
    }
    if (!ec) {
        acceptor.listen(asio::socket_base::max_listen_connections, ec);
    }
    if (!ec) {
        bound = acceptor.local_endpoint(ec);
    }
    if (ec) {
        std::error_code ignored;
        acceptor.close(ignored);
        return {};
    }
    return bound;
}

} // namespace llmio::testing::detail

#endif // LLMIO_TESTING_DETAIL_LISTENER_HPP
