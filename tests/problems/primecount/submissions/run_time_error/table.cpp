// A table of 64 ints per number: past the 256 MiB limit for large n (MLE).
#include <cstdio>
#include <vector>
int main() {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    std::vector<int> table((size_t)n * 64 + 64, 1);
    int count = 0;
    for (long long i = 2; i <= n; i++) {
        if (table[i * 64] == 0) continue;
        count++;
        for (long long j = i * i; j <= n; j += i) table[j * 64] = 0;
    }
    printf("%d\n", count);
}
