// A testlib-protocol interactor, written for Flash (no testlib.h):
// interactor input output answer; the solution on stdin/stdout; its log in
// `output` (every guess, one a line), which testlib_checker/ then judges;
// exit 0 OK, 1 WA, 3 FAIL, the message on stderr. It allows 60 guesses so the
// dialogue ends; the problem's bound (30, in range) is the checker's to hold.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

enum { OK = 0, WA = 1, FAIL = 3 };

int main(int argc, char **argv) {
    if (argc < 3) return FAIL;
    long long x;
    std::ifstream in(argv[1]);
    std::ofstream log(argv[2]);
    if (!(in >> x)) {
        std::cerr << "bad input file\n";
        return FAIL;
    }
    for (int guesses = 1; guesses <= 60; guesses++) {
        long long g;
        if (scanf("%lld", &g) != 1) {
            std::cerr << "wrong answer: no guess " << guesses << "\n";
            return WA;
        }
        log << g << "\n";
        if (g == x) {
            printf("=\n");
            fflush(stdout);
            std::cerr << "ok found in " << guesses << " guesses\n";
            return OK;
        }
        printf(g > x ? "<\n" : ">\n");
        fflush(stdout);
    }
    std::cerr << "wrong answer: 60 guesses used\n";
    return WA;
}
