import std.stdio, std.string;
void main() {
    auto s = readln().chomp;
    writeln("Hello, ", s, "!");
}
