fun main() {
    throw RuntimeException("flash-boom")
}
