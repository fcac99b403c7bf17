// llmio/net.hpp: the transport (Asio + OpenSSL): connections, the pool, exchanges, proxies.
#ifndef LLMIO_NET_HPP
#define LLMIO_NET_HPP

#include <llmio/net/connection.hpp>
#include <llmio/net/connection_pool.hpp>
#include <llmio/net/error.hpp>
#include <llmio/net/exchange.hpp>
#include <llmio/net/origin.hpp>
#include <llmio/net/proxy.hpp>
#include <llmio/net/resolver_cache.hpp>
#include <llmio/net/tls_context.hpp>

#endif // LLMIO_NET_HPP
