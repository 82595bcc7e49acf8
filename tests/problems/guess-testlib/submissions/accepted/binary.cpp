// iostream this time: std::endl flushes every guess.
#include <iostream>
#include <string>
int main() {
    long long lo = 1, hi = 1'000'000'000;
    std::string reply;
    for (;;) {
        long long mid = lo + (hi - lo) / 2;
        std::cout << mid << std::endl;
        if (!(std::cin >> reply) || reply == "=") break;
        (reply == "<" ? hi : lo) = reply == "<" ? mid - 1 : mid + 1;
    }
}
