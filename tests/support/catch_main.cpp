// The Catch2 v2 main (Catch2 v3 links its own through catch2-with-main).
#define CATCH_CONFIG_MAIN
#include <catch2/catch.hpp>
