/* The 32-bit syscall entry: must be killed by the seccomp architecture check. */
#include <stdio.h>
int main(void) {
    printf("before\n");
    fflush(stdout);
    long ret;
    /* 26 = ptrace on i386 (argument 0 = PTRACE_TRACEME). */
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(26), "b"(0), "c"(0), "d"(0) : "memory");
    printf("survived: %ld\n", ret);
    return 0;
}
