/* Burns argv[1] seconds of CPU (or forever with no argument). */
#include <stdlib.h>
#include <time.h>
int main(int argc, char **argv) {
    double want = argc > 1 ? atof(argv[1]) : 1e9;
    volatile unsigned long x = 0;
    for (;;) {
        for (int i = 0; i < 1000000; i++) x++;
        if ((double)clock() / CLOCKS_PER_SEC >= want) return 0;
    }
}
