/* Writes 1 GiB to a file. */
#include <stdio.h>
#include <string.h>
int main(void) {
    static char buf[1 << 20];
    memset(buf, 'a', sizeof buf);
    FILE *f = fopen("big", "w");
    for (int i = 0; i < 1024; i++) fwrite(buf, 1, sizeof buf, f);
    fclose(f);
    return 0;
}
