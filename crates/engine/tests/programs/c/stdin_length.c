// Reads all of stdin and prints how many bytes it was.
#include <stdio.h>

int main(void) {
    static char buf[1 << 16];
    size_t n, total = 0;
    while ((n = fread(buf, 1, sizeof buf, stdin)) > 0) total += n;
    printf("%zu\n", total);
    return 0;
}
