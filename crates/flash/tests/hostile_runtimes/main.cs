using System;
using System.Diagnostics;
using System.IO;
using System.Net.Sockets;
using System.Threading;

class Program {
    static string Connect(string host, int port) {
        try {
            using (var c = new TcpClient()) {
                if (!c.ConnectAsync(host, port).Wait(2000)) return "failed timeout";
                return "connected";
            }
        } catch (Exception e) {
            return "failed " + e.GetType().Name;
        }
    }

    static void Main(string[] a) {
        try { File.ReadAllBytes("/etc/shadow"); Console.WriteLine("shadow: ok"); }
        catch (Exception) { Console.WriteLine("shadow: failed"); }
        try { File.WriteAllBytes("/usr/flash-probe", new byte[] { 1 }); Console.WriteLine("write: ok"); }
        catch (Exception) { Console.WriteLine("write: failed"); }
        Console.WriteLine("loopback: " + Connect("127.0.0.1", int.Parse(a[0])));
        Console.WriteLine("testnet: " + Connect("192.0.2.1", 80));
        try {
            var info = new ProcessStartInfo("/bin/echo", "child") { RedirectStandardOutput = true, UseShellExecute = false };
            var p = Process.Start(info);
            var o = p.StandardOutput.ReadToEnd().Trim();
            p.WaitForExit();
            Console.WriteLine("child: " + (o == "child" ? "ok" : "failed"));
        } catch (Exception e) {
            Console.WriteLine("child: failed " + e.GetType().Name);
        }
        int n = 0;
        try {
            for (; n < 1000; n++) {
                var t = new Thread(() => Thread.Sleep(100000));
                t.IsBackground = true;
                t.Start();
            }
        } catch (Exception) {
        }
        Console.WriteLine("threads: " + n);
        Console.Out.Flush();
        Environment.Exit(0);
    }
}
