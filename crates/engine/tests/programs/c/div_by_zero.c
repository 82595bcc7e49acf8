// The divisor comes from argc (1 without arguments) so that GCC cannot see
// the division by zero and fold it into something else.
#include <stdio.h>

int main(int argc, char **argv) {
    (void)argv;
    int d = argc - 1;
    printf("%d\n", 10 / d);
    return 0;
}
