#include <stdio.h>
int main(void) {
    fprintf(stderr, "flash-boom\n");
    return 3;
}
