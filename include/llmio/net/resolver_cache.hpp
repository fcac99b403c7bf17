// llmio/net/resolver_cache.hpp: host names resolved once per TTL, shared by every connection of
// a pool.
//
// getaddrinfo() reports no TTL, so the lifetime of an answer is configured (`ttl`). A failed
// lookup is not cached: the next connection asks again. IP literals never reach the cache.
//
// The lookup itself is Asio's async_resolve, which runs getaddrinfo() on Asio's internal
// resolver thread (the only thread anywhere near llmio, and Asio's, not ours); with the cache it
// runs once per host per TTL, not per connection.
//
// Thread safety: none; one pool, one executor.
#ifndef LLMIO_NET_RESOLVER_CACHE_HPP
#define LLMIO_NET_RESOLVER_CACHE_HPP

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace llmio::net {

struct resolver_options {
    /// How long an answer is used before the name is looked up again.
    std::chrono::steady_clock::duration ttl = std::chrono::seconds(60);
    /// Host names remembered; past it the stalest is forgotten.
    std::size_t max_hosts = 256;
};

class resolver_cache {
public:
    using clock = std::chrono::steady_clock;
    using endpoints = std::vector<asio::ip::tcp::endpoint>;

    explicit resolver_cache(resolver_options options = {}) : options_(options) {}

    /// The fresh answer for `host` (a name, not an IP literal) with each endpoint's port set to
    /// `port`; nullptr when there is none (never asked, expired, or forgotten). The pointer is
    /// valid until the next call of store() or clear().
    [[nodiscard]] const endpoints* find(std::string_view host, std::uint16_t port, clock::time_point now);

    /// Remembers the answer for `host`, fresh from `now` for the TTL.
    void store(std::string_view host, const asio::ip::tcp::resolver::results_type& results,
               clock::time_point now);

    void clear() noexcept { entries_.clear(); }
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] const resolver_options& options() const noexcept { return options_; }

    /// An IP literal (IPv4, or IPv6 with or without brackets) as an address, without lookup.
    [[nodiscard]] static bool literal(std::string_view host, asio::ip::address& out) noexcept;

private:
    struct entry {
        endpoints addresses;
        clock::time_point expires{};
    };
    resolver_options options_;
    std::map<std::string, entry, std::less<>> entries_;
};

inline const resolver_cache::endpoints* resolver_cache::find(std::string_view host, std::uint16_t port,
                                                             clock::time_point now)
{
    const auto it = entries_.find(host);
    if (it == entries_.end() || it->second.expires <= now || it->second.addresses.empty()) {
        return nullptr;
    }
    for (auto& e : it->second.addresses) {
        e.port(port);
    }
    return &it->second.addresses;
}

inline void resolver_cache::store(std::string_view host, const asio::ip::tcp::resolver::results_type& results,
                                  clock::time_point now)
{
    if (options_.max_hosts == 0) {
        return;
    }
    auto it = entries_.find(host);
    if (it == entries_.end()) {
        if (entries_.size() >= options_.max_hosts) {
            auto stalest = entries_.begin();
            for (auto e = entries_.begin(); e != entries_.end(); ++e) {
                if (e->second.expires < stalest->second.expires) {
                    stalest = e;
                }
            }
            entries_.erase(stalest);
        }
        it = entries_.emplace(std::string(host), entry{}).first;
    }
    it->second.addresses.clear();
    for (const auto& r : results) {
        it->second.addresses.push_back(r.endpoint());
    }
    it->second.expires = now + options_.ttl;
}

inline bool resolver_cache::literal(std::string_view host, asio::ip::address& out) noexcept
{
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host.empty() || host.size() > 63) {
        return false;
    }
    char text[64];
    host.copy(text, host.size());
    text[host.size()] = '\0';
    std::error_code ec;
    out = asio::ip::make_address(text, ec);
    return !ec;
}

} // namespace llmio::net

#endif // LLMIO_NET_RESOLVER_CACHE_HPP
