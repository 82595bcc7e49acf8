/* Touches 1 GiB, a page at a time. Must get the memory verdict under a 128 MB limit. */
#include <stdlib.h>
#include <string.h>
int main(void) {
    size_t chunk = 16 << 20;
    for (int i = 0; i < 64; i++) {
        char *p = malloc(chunk);
        if (!p) return 3;
        memset(p, 1, chunk);
    }
    return 0;
}
