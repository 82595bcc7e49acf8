// A testlib-protocol checker, written for Flash (no testlib.h), run after the
// interactor accepted: checker input output answer, where `output` is the
// interactor's log of the guesses. The problem allows at most 30 guesses,
// each in [1, 10^9]; the last must be the number. Exit 0 OK, 1 WA, 3 FAIL;
// the message on stderr.
#include <fstream>
#include <iostream>

enum { OK = 0, WA = 1, FAIL = 3 };

int main(int argc, char **argv) {
    if (argc < 4) return FAIL;
    std::ifstream in(argv[1]), log(argv[2]);
    long long x, g, last = -1;
    if (!(in >> x)) {
        std::cerr << "bad input file\n";
        return FAIL;
    }
    int n = 0;
    while (log >> g) {
        n++;
        if (g < 1 || g > 1000000000) {
            std::cerr << "wrong answer: guess " << n << " (" << g << ") is out of range\n";
            return WA;
        }
        last = g;
    }
    if (n > 30) {
        std::cerr << "wrong answer: " << n << " guesses, more than 30\n";
        return WA;
    }
    if (last != x) {
        std::cerr << "interactor log does not end with the number\n";
        return FAIL;
    }
    std::cerr << "ok " << n << " guesses\n";
    return OK;
}
