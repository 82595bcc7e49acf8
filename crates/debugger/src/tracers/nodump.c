/* Loaded first by Flash's Java tracer (System.load): makes its JVM
 * non-dumpable, so the traced program, which runs as the same user, cannot
 * open the tracer's /proc/<pid>/mem or /proc/<pid>/fd (the trace). The
 * program's own JVM is started by exec, which makes it dumpable again. */
#include <sys/prctl.h>
#include <unistd.h>

__attribute__((constructor)) static void flash_nodump(void) {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
        static const char msg[] = "flash tracer: prctl(PR_SET_DUMPABLE, 0) failed\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(125);
    }
}
