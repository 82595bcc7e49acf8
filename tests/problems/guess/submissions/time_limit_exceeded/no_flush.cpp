// Forgets to flush: the guess stays in its buffer, both sides wait, and the
// solution's wall-time (idle) limit ends it.
#include <cstdio>
int main() {
    long long lo = 1, hi = 1000000000;
    while (lo <= hi) {
        long long mid = (lo + hi) / 2;
        printf("%lld\n", mid);
        char r[8];
        if (scanf("%7s", r) != 1) return 1;
        if (r[0] == '=') return 0;
        if (r[0] == '<') hi = mid - 1; else lo = mid + 1;
    }
}
