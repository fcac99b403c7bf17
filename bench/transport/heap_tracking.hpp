// Heap accounting for the transport benchmark: how many allocations a path makes, and how many
// bytes stay live (for the idle-connection budget).
//
// llmio/testing/allocation_counter.hpp counts allocations but does not know block sizes, and a
// program may replace the global operator new only once. So this header replaces it itself,
// counting into the same llmio::testing::allocation_count() (allocation_scope works as usual)
// and keeping live bytes with malloc_usable_size. OpenSSL allocates with malloc behind its own
// hooks; install_openssl_hooks() routes those through counters as well, and must run first
// thing in main(): OpenSSL refuses new hooks once it has allocated anything.
//
// Include in exactly one translation unit (it defines the replacements). Single-threaded use:
// the counters are relaxed atomics only so that a stray thread cannot corrupt them.
#ifndef LLMIO_BENCH_TRANSPORT_HEAP_TRACKING_HPP
#define LLMIO_BENCH_TRANSPORT_HEAP_TRACKING_HPP

#include <llmio/testing/allocation_counter.hpp>

#include <openssl/crypto.h>

#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

namespace bench::transport {

struct heap_counters {
    std::atomic<std::uint64_t> cxx_live{0};        // bytes from operator new, live
    std::atomic<std::uint64_t> openssl_allocs{0};  // OpenSSL malloc + realloc calls
    std::atomic<std::uint64_t> openssl_live{0};    // bytes from OpenSSL's allocator, live
};

inline heap_counters& heap() noexcept
{
    static heap_counters h;
    return h;
}

/// The heap at one moment.
struct heap_snapshot {
    std::uint64_t cxx_allocs = 0;
    std::uint64_t cxx_live = 0;
    std::uint64_t openssl_allocs = 0;
    std::uint64_t openssl_live = 0;
    std::uint64_t malloc_in_use = 0;   // glibc's own view (mallinfo2): everything, overhead included

    [[nodiscard]] std::uint64_t live() const noexcept { return cxx_live + openssl_live; }
};

inline heap_snapshot heap_now() noexcept
{
    heap_snapshot s;
    s.cxx_allocs = llmio::testing::allocation_count().load(std::memory_order_relaxed);
    s.cxx_live = heap().cxx_live.load(std::memory_order_relaxed);
    s.openssl_allocs = heap().openssl_allocs.load(std::memory_order_relaxed);
    s.openssl_live = heap().openssl_live.load(std::memory_order_relaxed);
    s.malloc_in_use = mallinfo2().uordblks;
    return s;
}

namespace detail {

inline void* tracked_malloc(std::size_t size, std::atomic<std::uint64_t>& live) noexcept
{
    void* p = std::malloc(size == 0 ? 1 : size);
    if (p != nullptr) {
        live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    }
    return p;
}

inline void tracked_free(void* p, std::atomic<std::uint64_t>& live) noexcept
{
    if (p != nullptr) {
        live.fetch_sub(malloc_usable_size(p), std::memory_order_relaxed);
        std::free(p);
    }
}

inline void* openssl_malloc(std::size_t size, const char*, int) noexcept
{
    heap().openssl_allocs.fetch_add(1, std::memory_order_relaxed);
    return tracked_malloc(size, heap().openssl_live);
}

inline void* openssl_realloc(void* old, std::size_t size, const char*, int) noexcept
{
    heap().openssl_allocs.fetch_add(1, std::memory_order_relaxed);
    const std::size_t before = old != nullptr ? malloc_usable_size(old) : 0;
    void* p = std::realloc(old, size);
    if (p == nullptr && size != 0) {
        return nullptr;   // failed: `old` is still live, unchanged
    }
    heap().openssl_live.fetch_sub(before, std::memory_order_relaxed);
    if (p != nullptr) {
        heap().openssl_live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    }
    return p;
}

inline void openssl_free(void* p, const char*, int) noexcept
{
    tracked_free(p, heap().openssl_live);
}

} // namespace detail

/// Routes OpenSSL's allocations through the counters. False when OpenSSL already allocated
/// (then OpenSSL's bytes are not counted; the caller says so).
[[nodiscard]] inline bool install_openssl_hooks() noexcept
{
    return CRYPTO_set_mem_functions(&detail::openssl_malloc, &detail::openssl_realloc, &detail::openssl_free) == 1;
}

} // namespace bench::transport

// ---- The replacements (one translation unit) -------------------------------------------------

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

extern "C" void* __libc_memalign(std::size_t alignment, std::size_t size);

namespace bench::transport::detail {

inline void* counted_new(std::size_t size)
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    if (void* p = tracked_malloc(size, heap().cxx_live)) {
        return p;
    }
    throw std::bad_alloc();
}

inline void* counted_aligned_new(std::size_t size, std::align_val_t align) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(static_cast<std::size_t>(align), size == 0 ? 1 : size);
    if (p != nullptr) {
        heap().cxx_live.fetch_add(malloc_usable_size(p), std::memory_order_relaxed);
    }
    return p;
}

} // namespace bench::transport::detail

void* operator new(std::size_t size) { return bench::transport::detail::counted_new(size); }
void* operator new[](std::size_t size) { return bench::transport::detail::counted_new(size); }
void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    return bench::transport::detail::tracked_malloc(size, bench::transport::heap().cxx_live);
}
void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept { return ::operator new(size, tag); }
void* operator new(std::size_t size, std::align_val_t align)
{
    if (void* p = bench::transport::detail::counted_aligned_new(size, align)) {
        return p;
    }
    throw std::bad_alloc();
}
void* operator new[](std::size_t size, std::align_val_t align) { return ::operator new(size, align); }

void operator delete(void* p) noexcept { bench::transport::detail::tracked_free(p, bench::transport::heap().cxx_live); }
void operator delete[](void* p) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t) noexcept { ::operator delete(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { ::operator delete(p); }
void operator delete(void* p, std::align_val_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::align_val_t) noexcept { ::operator delete(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { ::operator delete(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { ::operator delete(p); }

// Asio allocates its handler memory with aligned_alloc and frees it with free(), bypassing
// operator new: count those calls too (as allocation_counter.hpp does), so a handler-recycling
// miss shows up in allocs_per_request. Their bytes are not tracked: free() is not ours.
extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    return __libc_memalign(alignment, size);
}

extern "C" int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) {
        return 12;   // ENOMEM
    }
    *out = p;
    return 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

#endif // LLMIO_BENCH_TRANSPORT_HEAP_TRACKING_HPP
