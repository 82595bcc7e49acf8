#include <algorithm>
#include <cstdio>
#include <vector>
int main() {
    int n;
    if (scanf("%d", &n) != 1) return 1;
    std::vector<long long> v(n);
    for (auto &x : v) scanf("%lld", &x);
    std::sort(v.begin(), v.end());
    for (auto x : v) printf("%lld\n", x);
}
