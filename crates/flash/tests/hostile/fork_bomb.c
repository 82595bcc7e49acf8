/* Forks forever; every process spins. Must end at the CPU limit with nothing left behind. */
#include <unistd.h>
int main(void) { for (;;) fork(); }
