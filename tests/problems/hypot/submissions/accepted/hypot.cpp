#include <cmath>
#include <cstdio>
int main() {
    double a, b;
    if (scanf("%lf %lf", &a, &b) != 2) return 1;
    printf("%.10e\n", std::hypot(a, b));
}
