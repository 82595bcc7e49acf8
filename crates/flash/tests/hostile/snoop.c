/* Tries to read and write what it must not. Prints "PATH: result" per attempt. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static void rd(const char *p) {
    int fd = open(p, O_RDONLY);
    printf("read %s: %s\n", p, fd >= 0 ? "OPENED" : strerror(errno));
    if (fd >= 0) close(fd);
}
static void wr(const char *p) {
    int fd = open(p, O_WRONLY | O_CREAT, 0644);
    printf("write %s: %s\n", p, fd >= 0 ? "OPENED" : strerror(errno));
    if (fd >= 0) close(fd);
}
int main(int argc, char **argv) {
    rd("/etc/shadow");
    rd("/root");
    for (int i = 1; i < argc; i++) rd(argv[i]);
    wr("/usr/evil");
    wr("/evil");
    wr("/etc/passwd");
    wr("/box/ok");
    wr("/tmp/ok");
    int procs = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;
    while (d && (e = readdir(d))) if (e->d_name[0] >= '0' && e->d_name[0] <= '9') procs++;
    printf("procs: %d\n", procs);
    return 0;
}
