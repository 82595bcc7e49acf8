/* argv[1] = "write": leaves files in /box and /tmp; "check": reports whether they exist. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
    if (strcmp(argv[1], "write") == 0) {
        FILE *a = fopen("/box/left", "w"), *b = fopen("/tmp/left", "w");
        fputs("x", a); fputs("x", b);
        fclose(a); fclose(b);
        return 0;
    }
    printf("box:%d tmp:%d\n", access("/box/left", F_OK) == 0, access("/tmp/left", F_OK) == 0);
    return 0;
}
