/* Recurses argv[1] levels deep with a 1 KiB frame each. */
#include <stdio.h>
#include <stdlib.h>
int depth(int n) {
    volatile char pad[1024];
    pad[0] = (char)n;
    return n == 0 ? 0 : 1 + depth(n - 1) + pad[0] * 0;
}
int main(int argc, char **argv) {
    printf("%d\n", depth(atoi(argv[1])));
    return 0;
}
