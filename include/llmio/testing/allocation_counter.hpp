// llmio/testing/allocation_counter.hpp: counts heap allocations, to prove a path allocates
// nothing in steady state.
//
// The counting works by replacing the global `operator new`. A program may replace it only
// once, so the replacement is compiled only where asked: define
// LLMIO_TESTING_REPLACE_GLOBAL_NEW in exactly one translation unit of a test program before
// including this header. Elsewhere the header only declares the counter.
//
//     #define LLMIO_TESTING_REPLACE_GLOBAL_NEW
//     #include <llmio/testing/allocation_counter.hpp>
//     ...
//     llmio::testing::allocation_scope scope;
//     run_the_hot_path();
//     REQUIRE(scope.allocations() == 0);
//
// Thread safety: the counter is one relaxed atomic shared by all threads.
#ifndef LLMIO_TESTING_ALLOCATION_COUNTER_HPP
#define LLMIO_TESTING_ALLOCATION_COUNTER_HPP

#include <atomic>
#include <cstddef>

namespace llmio::testing {

/// Allocations made through the global operator new since the program started (0 when the
/// replacement is not linked in).
[[nodiscard]] inline std::atomic<std::size_t>& allocation_count() noexcept
{
    static std::atomic<std::size_t> count{0};
    return count;
}

/// Allocations made by the calling thread (counted together with allocation_count()): for a
/// test whose server runs on another thread.
[[nodiscard]] inline std::size_t& thread_allocation_count() noexcept
{
    thread_local std::size_t count = 0;
    return count;
}

/// While true, every allocation through the replaced operator new fails (std::bad_alloc, or
/// nullptr for the nothrow forms): to test what code does when memory runs out.
[[nodiscard]] inline std::atomic<bool>& refuse_allocations() noexcept
{
    static std::atomic<bool> refuse{false};
    return refuse;
}

/// Allocations made while it lives.
class allocation_scope {
public:
    allocation_scope() noexcept : start_(allocation_count().load(std::memory_order_relaxed)) {}
    [[nodiscard]] std::size_t allocations() const noexcept
    {
        return allocation_count().load(std::memory_order_relaxed) - start_;
    }

private:
    std::size_t start_;
};

} // namespace llmio::testing

#ifdef LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <cstdlib>
#include <new>

// g++ 12 sees malloc under operator new and free under operator delete and warns that they
// do not match (-Wmismatched-new-delete) in code that inlines both: here they match by design.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

void* operator new(std::size_t size)
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    ++llmio::testing::thread_allocation_count();
    if (llmio::testing::refuse_allocations().load(std::memory_order_relaxed)) {
        throw std::bad_alloc();
    }
    if (void* p = std::malloc(size == 0 ? 1 : size)) {
        return p;
    }
    throw std::bad_alloc();
}

void* operator new[](std::size_t size)
{
    return ::operator new(size);
}

void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    ++llmio::testing::thread_allocation_count();
    if (llmio::testing::refuse_allocations().load(std::memory_order_relaxed)) {
        return nullptr;
    }
    return std::malloc(size == 0 ? 1 : size);
}

void* operator new[](std::size_t size, const std::nothrow_t& tag) noexcept
{
    return ::operator new(size, tag);
}

void operator delete(void* p) noexcept
{
    std::free(p);
}

void operator delete[](void* p) noexcept
{
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}

void operator delete[](void* p, std::size_t) noexcept
{
    std::free(p);
}

void operator delete(void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}

void operator delete[](void* p, const std::nothrow_t&) noexcept
{
    std::free(p);
}

// Aligned allocations that bypass operator new (simdjson's, for one) are counted too, where
// glibc lets them be interposed and no sanitizer runtime owns them.
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#if !defined(__has_feature)
#define LLMIO_TESTING_HAS_FEATURE(x) 0
#else
#define LLMIO_TESTING_HAS_FEATURE(x) __has_feature(x)
#endif
#if !LLMIO_TESTING_HAS_FEATURE(address_sanitizer) && !LLMIO_TESTING_HAS_FEATURE(memory_sanitizer)
extern "C" void* __libc_memalign(std::size_t alignment, std::size_t size);

extern "C" int posix_memalign(void** out, std::size_t alignment, std::size_t size) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    ++llmio::testing::thread_allocation_count();
    void* p = __libc_memalign(alignment, size);
    if (p == nullptr) {
        return 12;   // ENOMEM
    }
    *out = p;
    return 0;
}

extern "C" void* aligned_alloc(std::size_t alignment, std::size_t size) noexcept
{
    llmio::testing::allocation_count().fetch_add(1, std::memory_order_relaxed);
    ++llmio::testing::thread_allocation_count();
    return __libc_memalign(alignment, size);
}
#endif
#undef LLMIO_TESTING_HAS_FEATURE
#endif
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#endif // LLMIO_TESTING_REPLACE_GLOBAL_NEW

#endif // LLMIO_TESTING_ALLOCATION_COUNTER_HPP
