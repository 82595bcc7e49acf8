/* kill(-1, SIGKILL): may only kill the box's own processes. Then ptrace attempts. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>
int main(void) {
    long r = ptrace(PTRACE_TRACEME, 0, 0, 0);
    printf("traceme: %s\n", r == 0 ? "ALLOWED" : strerror(errno));
    r = ptrace(PTRACE_ATTACH, 1, 0, 0);
    printf("attach 1: %s\n", r == 0 ? "ALLOWED" : strerror(errno));
    fflush(stdout);
    int k = kill(-1, SIGKILL);
    printf("kill -1: %s\n", k == 0 ? "sent" : strerror(errno));
    return 0;
}
