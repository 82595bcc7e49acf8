/* Connects to 127.0.0.1:argv[1] (a port the host listens on) and to 192.0.2.1:80
 * (TEST-NET-1, reserved for documentation; the box has no route, so no packet leaves).
 * Prints one word per attempt: "connected" or the errno name. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
static void try(const char *ip, int port) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, ip, &a.sin_addr);
    if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) printf("connected\n");
    else printf("%s\n", strerror(errno));
    close(s);
}
int main(int argc, char **argv) {
    try("127.0.0.1", atoi(argv[1]));
    try("192.0.2.1", 80);
    return 0;
}
