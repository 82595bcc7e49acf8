// Kattis output validator: input answer feedback_dir < team_output.
// Accepts any two positive integers that add up to n (exit 42), else 43.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>

static std::string feedback;

static int reject(const std::string &why) {
    std::ofstream(feedback + "judgemessage.txt") << why << "\n";
    return 43;
}

int main(int argc, char **argv) {
    if (argc < 4) return 1;
    feedback = argv[3];
    long long n;
    std::ifstream in(argv[1]);
    if (!(in >> n)) return 2;  // a broken input is the judges' problem: not 42 or 43
    long long a, b;
    if (!(std::cin >> a >> b)) return reject("expected two integers");
    std::string extra;
    if (std::cin >> extra) return reject("more output than two integers: " + extra);
    if (a <= 0 || b <= 0) return reject("both numbers must be positive");
    if (a + b != n) return reject(std::to_string(a) + " + " + std::to_string(b) + " is not " + std::to_string(n));
    return 42;
}
