/* Queues as much as it can in loopback TCP socket buffers that nobody
 * reads: argv[1] connections, each filled until the kernel says no.
 * Prints the MiB queued after each connection; the box's memory limit
 * must bound it. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 60;
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (l < 0 || bind(l, (void *)&a, sizeof a) || listen(l, 1024) || getsockname(l, (void *)&a, &len)) {
        perror("listen");
        return 2;
    }
    static char buf[1 << 16];
    memset(buf, 'x', sizeof buf);
    long long total = 0;
    for (int i = 0; i < n; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, (void *)&a, sizeof a)) break;
        int s = accept(l, NULL, NULL); /* kept open, never read */
        if (s < 0) break;
        int big = 64 << 20;
        setsockopt(c, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
        setsockopt(s, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        fcntl(c, F_SETFL, O_NONBLOCK);
        for (;;) {
            ssize_t w = write(c, buf, sizeof buf);
            if (w <= 0) break;
            total += w;
        }
        printf("%lld\n", total >> 20); /* so far, in case the box is ended */
        fflush(stdout);
    }
    printf("%lld\n", total >> 20);
    fflush(stdout);
    return 0;
}
