// Copies stdin to stdout, byte for byte.
#include <iostream>

int main() {
    std::ios::sync_with_stdio(false);
    std::cout << std::cin.rdbuf();
}
