// The divisor comes from argc (1 without arguments) so that GCC cannot see
// the division by zero and fold it into something else.
#include <cstdio>

int main(int argc, char **) {
    int d = argc - 1;
    std::printf("%d\n", 10 / d);
}
