#include <cstdio>
int main() {
    volatile int *p = nullptr;
    double a, b;
    if (scanf("%lf %lf", &a, &b) != 2) return 1;
    *p = 1;
}
