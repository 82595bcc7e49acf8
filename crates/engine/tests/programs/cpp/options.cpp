// VALUE and OTHER come from compiler_options (-DVALUE=... -DOTHER=...).
#include <cstdio>

#ifndef VALUE
#define VALUE 0
#endif
#ifndef OTHER
#define OTHER 0
#endif

int main() { std::printf("%d %d\n", VALUE, OTHER); }
