/* Tries to start 1000 threads; prints how many it got. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *idle(void *a) { sleep(5); return a; }
int main(void) {
    int n = 0;
    pthread_t t;
    for (int i = 0; i < 1000; i++) if (pthread_create(&t, 0, idle, 0) == 0) n++;
    printf("%d\n", n);
    fflush(stdout);
    _exit(0);
}
