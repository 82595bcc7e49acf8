/* Linked into C programs under the debugger as a separate translation unit
 * (the user's file is not touched, so its line numbers stay true): stdout
 * unbuffered, so every write reaches the pipe at once and each step's
 * stdout_len is what the program has really written. */
#include <stdio.h>

__attribute__((constructor(101))) static void flash_debug_unbuffer_stdio(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
}
