object Main {
  def main(args: Array[String]): Unit = { undeclaredName = 1 }
}
