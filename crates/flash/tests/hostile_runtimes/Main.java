import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Paths;

public class Main {
    static String connect(String host, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 2000);
            return "connected";
        } catch (Exception e) {
            return "failed " + e.getClass().getSimpleName();
        }
    }

    public static void main(String[] a) throws Exception {
        try {
            Files.readAllBytes(Paths.get("/etc/shadow"));
            System.out.println("shadow: ok");
        } catch (Exception e) {
            System.out.println("shadow: failed");
        }
        try {
            Files.write(Paths.get("/usr/flash-probe"), new byte[] {1});
            System.out.println("write: ok");
        } catch (Exception e) {
            System.out.println("write: failed");
        }
        System.out.println("loopback: " + connect("127.0.0.1", Integer.parseInt(a[0])));
        System.out.println("testnet: " + connect("192.0.2.1", 80));
        try {
            Process p = new ProcessBuilder("/bin/echo", "child").start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            p.waitFor();
            System.out.println("child: " + (out.equals("child") ? "ok" : "failed"));
        } catch (Exception e) {
            System.out.println("child: failed " + e);
        }
        int n = 0;
        try {
            for (; n < 1000; n++) {
                Thread t = new Thread(() -> {
                    try {
                        Thread.sleep(100000);
                    } catch (InterruptedException e) {
                    }
                });
                t.setDaemon(true);
                t.start();
            }
        } catch (Throwable e) {
        }
        System.out.println("threads: " + n);
        System.exit(0);
    }
}
