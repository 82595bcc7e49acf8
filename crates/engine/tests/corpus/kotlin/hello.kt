fun main() {
    val s = readLine()!!
    println("Hello, $s!")
}
