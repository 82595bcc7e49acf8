// Both volatile: GCC at -O2 turns a store through a known null pointer into a
// trap (SIGILL), and drops a plain store that nothing reads afterwards.
#include <stddef.h>

int main(void) {
    volatile int *volatile p = NULL;
    *p = 42;
    return 0;
}
