/* Thrashes at the memory limit: holds argv[2] MiB of its own memory, then
 * reads the file argv[1] (larger than what is left of the limit) over and
 * over through a mapping. Its pages are first dropped from the page cache,
 * so each read charges them to this run: to fit, the kernel reclaims the
 * pages read just before, and the next sweep reads them back. No allocation
 * ever fails and the OOM killer is never called. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3)
        return 2;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return 3;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    volatile const char *f = mmap(NULL, st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (f == MAP_FAILED)
        return 4;
    size_t held = (size_t)atol(argv[2]) << 20;
    char *p = malloc(held);
    if (!p)
        return 5;
    memset(p, 1, held);
    unsigned long sum = 0;
    for (;;)
        for (off_t o = 0; o < st.st_size; o += 4096)
            sum += f[o];
    return (int)sum;
}
