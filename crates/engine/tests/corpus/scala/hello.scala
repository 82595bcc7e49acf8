object Main {
  def main(args: Array[String]): Unit = {
    val s = scala.io.StdIn.readLine()
    println(s"Hello, $s!")
  }
}
