// Reads all of stdin and prints how many bytes it was.
#include <cstdio>

int main() {
    static char buf[1 << 16];
    size_t n, total = 0;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) total += n;
    std::printf("%zu\n", total);
}
