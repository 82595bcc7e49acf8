#include <stdio.h>
#include <string.h>
int main(void) {
    char buf[4096];
    if (!fgets(buf, sizeof buf, stdin)) buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("Hello, %s!\n", buf);
    return 0;
}
