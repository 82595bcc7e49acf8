// A 4 GiB static array (so the executable still loads on a small machine)
// that is really used: one write per page.
#include <cstddef>

static char a[1L << 32];

int main() {
    for (std::size_t i = 0; i < sizeof a; i += 4096) a[i] = 1;
    return a[12345];
}
