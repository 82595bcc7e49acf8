// volatile: an infinite loop without side effects is undefined behaviour in
// C++, and GCC may delete it.
int main() {
    volatile unsigned long n = 0;
    for (;;) n = n + 1;
}
