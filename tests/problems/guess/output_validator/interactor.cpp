// Kattis interactive validator: input answer feedback_dir; the solution's
// output on stdin, its input on stdout. 42 accepted, 43 wrong answer; the
// judge message says how it went.
#include <cstdio>
#include <string>

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    FILE *in = fopen(argv[1], "r");
    long long x;
    if (!in || fscanf(in, "%lld", &x) != 1) return 2;
    FILE *msg = fopen((std::string(argv[3]) + "judgemessage.txt").c_str(), "w");
    if (!msg) return 2;
    for (int guesses = 1; guesses <= 30; guesses++) {
        long long g;
        if (scanf("%lld", &g) != 1) {
            fprintf(msg, "no guess %d\n", guesses);
            return 43;
        }
        printf("%s\n", g == x ? "=" : g > x ? "<" : ">");
        fflush(stdout);
        if (g == x) {
            fprintf(msg, "found in %d guesses\n", guesses);
            return 42;
        }
    }
    fprintf(msg, "30 guesses used\n");
    return 43;
}
