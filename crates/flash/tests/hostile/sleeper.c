/* Sleeps forever: must get the wall-time verdict. */
#include <unistd.h>
int main(void) { for (;;) pause(); }
