import std.stdio;
void main() {
    ulong x = 1;
    while (x != 0) { x = x * 3 + 1; if (x == 7) writeln(x); x |= 1; }
}
