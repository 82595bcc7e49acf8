/* Tries socket families a box has no use for; prints one line per attempt:
 * "<name> ok" or "<name> <errno name>". */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#ifndef AF_VSOCK
#define AF_VSOCK 40
#endif
static void try(const char *name, int domain, int type, int protocol) {
    int fd = socket(domain, type, protocol);
    if (fd >= 0) {
        printf("%s ok\n", name);
        close(fd);
    } else {
        printf("%s %s\n", name, errno == EAFNOSUPPORT ? "EAFNOSUPPORT"
                               : errno == EPROTONOSUPPORT ? "EPROTONOSUPPORT"
                               : strerror(errno));
    }
}
int main(void) {
    try("unix", AF_UNIX, SOCK_STREAM, 0);
    try("inet", AF_INET, SOCK_STREAM, 0);
    try("inet6", AF_INET6, SOCK_DGRAM, 0);
    try("netlink-route", AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    try("netlink-uevent", AF_NETLINK, SOCK_DGRAM, NETLINK_KOBJECT_UEVENT);
    try("vsock", AF_VSOCK, SOCK_STREAM, 0);
    try("packet", AF_PACKET, SOCK_RAW, 0);
    int sv[2];
    printf("socketpair-inet %s\n", socketpair(AF_INET, SOCK_STREAM, 0, sv) == 0 ? "ok" : "refused");
    return 0;
}
