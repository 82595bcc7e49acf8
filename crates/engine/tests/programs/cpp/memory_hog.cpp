// A vector that grows forever; every element is written, so every page is touched.
#include <vector>

int main() {
    std::vector<long> v;
    volatile long sink;
    for (;;) {
        v.push_back(1);
        sink = v.back();
    }
}
