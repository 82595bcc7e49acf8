#include <stdlib.h>
#include <string.h>
/* The pages are kept where the optimizer cannot drop them. */
void *volatile sink;
int main(void) {
    for (;;) {
        char *p = malloc(1 << 20);
        if (!p) return 1;
        memset(p, 1, 1 << 20);
        sink = p;
    }
}
