// Prints twice the number read; 0 is an error (exit code 3).
#include <cstdio>

int main() {
    long n;
    if (std::scanf("%ld", &n) != 1 || n == 0) return 3;
    std::printf("%ld\n", 2 * n);
}
