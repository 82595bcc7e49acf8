fun main() {
    val l = ArrayList<ByteArray>()
    while (true) l.add(ByteArray(1 shl 20))
}
