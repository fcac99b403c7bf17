// The counting global operator new of llmio/testing/allocation_counter.hpp, for this test
// executable only. In a translation unit of its own: where the replacement's body is visible
// next to inlined std::string code, g++ 12 reports a false -Wmismatched-new-delete.
#define LLMIO_TESTING_REPLACE_GLOBAL_NEW
#include <llmio/testing/allocation_counter.hpp>
