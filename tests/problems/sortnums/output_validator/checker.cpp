// A checker in the testlib protocol, written for Flash (no testlib.h):
//   checker input output answer
// exit 0 OK, 1 wrong answer, 2 presentation error, 3 FAIL; the message goes to stderr.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

enum { OK = 0, WA = 1, PE = 2, FAIL = 3 };

static int verdict(int code, const std::string &msg) {
    std::cerr << msg << "\n";
    return code;
}

int main(int argc, char **argv) {
    if (argc < 4) return verdict(FAIL, "usage: checker input output answer");
    std::ifstream in(argv[1]), out(argv[2]);
    size_t n;
    if (!(in >> n)) return verdict(FAIL, "bad input file");
    std::vector<long long> want(n);
    for (auto &x : want)
        if (!(in >> x)) return verdict(FAIL, "bad input file");
    std::sort(want.begin(), want.end());
    std::vector<long long> got;
    std::string tok;
    while (out >> tok) {
        std::istringstream s(tok);
        long long x;
        char rest;
        if (!(s >> x) || (s >> rest)) return verdict(PE, "not an integer: " + tok.substr(0, 20));
        got.push_back(x);
    }
    if (got.size() != n)
        return verdict(PE, "expected " + std::to_string(n) + " numbers, got " + std::to_string(got.size()));
    for (size_t i = 0; i < n; i++)
        if (got[i] != want[i])
            return verdict(WA, "number " + std::to_string(i + 1) + " is " + std::to_string(got[i]) + ", expected " +
                                   std::to_string(want[i]));
    return verdict(OK, std::to_string(n) + " numbers in order");
}
