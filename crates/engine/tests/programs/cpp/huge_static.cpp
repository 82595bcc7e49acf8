// Exactly as issue #3 gives it. GCC at -O2 sees that `a` is never written, so
// a[5] is 0 and the array is dropped: the program is `return 0`.
static char a[1L << 34];
int main(){return a[5];}
