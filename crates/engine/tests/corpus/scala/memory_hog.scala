object Main {
  def main(args: Array[String]): Unit = {
    val l = new java.util.ArrayList[Array[Byte]]()
    while (true) l.add(new Array[Byte](1 << 20))
  }
}
