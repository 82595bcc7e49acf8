// Writes "\n" instead of std::endl, and never flushes: the guess waits in the
// buffer while both sides wait for each other, until the idle limit.
#include <iostream>
#include <string>
int main() {
    std::ios::sync_with_stdio(false);
    std::cin.tie(nullptr);  // else reading would flush cout
    long long lo = 1, hi = 1'000'000'000;
    std::string reply;
    for (;;) {
        long long mid = lo + (hi - lo) / 2;
        std::cout << mid << '\n';
        if (!(std::cin >> reply) || reply == "=") break;
        (reply == "<" ? hi : lo) = reply == "<" ? mid - 1 : mid + 1;
    }
}
