#include <iostream>
int main() {
    std::cerr << "flash-boom\n";
    return 3;
}
