// Allocates far past the memory limit: Memory Limit Exceeded, an RTE for the folder.
#include <cstdio>
#include <cstring>
#include <vector>
int main() {
    std::vector<char *> blocks;
    for (int i = 0; i < 64; i++) {
        char *b = new char[64 << 20];
        memset(b, 1, 64 << 20);
        blocks.push_back(b);
    }
    printf("%d\n", (int)blocks.size());
}
