using System;
class Program {
    static void Main() {
        var s = Console.ReadLine();
        Console.WriteLine("Hello, " + s + "!");
    }
}
