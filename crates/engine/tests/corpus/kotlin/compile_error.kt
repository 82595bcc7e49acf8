fun main() {
    undeclaredName = 1
}
