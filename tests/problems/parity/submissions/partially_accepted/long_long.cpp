// Reads n into a 64-bit integer: right for the small group only.
#include <cstdio>
int main() {
    long long n;
    if (scanf("%lld", &n) != 1) return 1;
    printf("%s\n", n % 2 ? "odd" : "even");
}
