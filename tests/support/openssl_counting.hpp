// OpenSSL's allocations, counted on the thread that asks: for the allocation tests of the
// transport and the client (operator new and the aligned functions are counted by
// llmio/testing/allocation_counter.hpp). Include it in one translation unit of a test program:
// it installs OpenSSL's memory hooks before main, before OpenSSL allocates anything.
#pragma once

#include <openssl/crypto.h>

#include <cstddef>
#include <cstdlib>

namespace openssl_counting {

/// Set while the allocations of the current thread are being counted.
inline thread_local bool counting = false;
/// OpenSSL allocations (malloc and realloc) made by this thread while `counting`.
inline thread_local std::size_t counted = 0;

inline void* counted_malloc(std::size_t n, const char*, int)
{
    if (counting) {
        ++counted;
    }
    return std::malloc(n == 0 ? 1 : n);
}

inline void* counted_realloc(void* p, std::size_t n, const char*, int)
{
    if (counting) {
        ++counted;
    }
    return std::realloc(p, n);
}

inline void counted_free(void* p, const char*, int)
{
    std::free(p);
}

/// True when the hooks are in place (OpenSSL refuses them once it has allocated).
inline const bool hooks_installed =
    CRYPTO_set_mem_functions(&counted_malloc, &counted_realloc, &counted_free) == 1;

} // namespace openssl_counting
