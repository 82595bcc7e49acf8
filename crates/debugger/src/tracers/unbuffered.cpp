// Linked into C++ programs under the debugger as a separate translation unit
// (the user's file is not touched, so its line numbers stay true): stdout
// unbuffered, so every write reaches the pipe at once and each step's
// stdout_len is what the program has really written.
#include <cstdio>
#include <iostream>

namespace {

__attribute__((constructor(101))) void flash_debug_unbuffer_stdio() {
    std::setvbuf(stdout, nullptr, _IONBF, 0);
}

// std::cout exists once an Init object is constructed; unitbuf flushes it
// after every output operation, also after sync_with_stdio(false).
std::ios_base::Init flash_debug_ios_init;

struct FlashDebugUnitbuf {
    FlashDebugUnitbuf() { std::cout.setf(std::ios::unitbuf); }
} flash_debug_unitbuf;

}  // namespace
