// Kattis output validator with partial scores: exact is full marks, within
// 10% is accepted with half the test's points (score_multiplier.txt), unless
// the group passes the argument `exact` (a pass-fail group takes no scores).
#include <cmath>
#include <fstream>
#include <iostream>
#include <string>

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    std::string fb = argv[3];
    long long want, got;
    std::ifstream ans(argv[2]);
    if (!(ans >> want)) return 2;
    std::ofstream msg(fb + "judgemessage.txt");
    if (!(std::cin >> got)) {
        msg << "expected an integer\n";
        return 43;
    }
    std::string extra;
    if (std::cin >> extra) {
        msg << "trailing output\n";
        return 43;
    }
    if (got == want) return 42;
    bool exact = argc > 4 && std::string(argv[4]) == "exact";
    if (!exact && std::llabs(got - want) * 10 <= want) {
        std::ofstream(fb + "score_multiplier.txt") << "0.5\n";
        msg << "within 10%: " << got << " vs " << want << "\n";
        return 42;
    }
    msg << "expected " << want << ", got " << got << "\n";
    return 43;
}
