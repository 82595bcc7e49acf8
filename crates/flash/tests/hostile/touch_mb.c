/* Touches argv[1] MB and exits: the reported peak must match. */
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    size_t n = (size_t)atoi(argv[1]) << 20;
    char *p = malloc(n);
    memset(p, 1, n);
    return p[n / 2] == 1 ? 0 : 1;
}
