// One include for Catch2 v2 (Debian 12) and v3 (newer systems, the wrap). Tests use only the
// macros both versions share: TEST_CASE, SECTION, REQUIRE, CHECK, INFO, CAPTURE, WARN, FAIL.
#ifndef LLMIO_TESTS_SUPPORT_CATCH_HPP
#define LLMIO_TESTS_SUPPORT_CATCH_HPP

#if defined(LLMIO_CATCH2_V3)
#include <catch2/catch_test_macros.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif
