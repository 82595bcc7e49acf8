import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

// 64 threads, each summing its own range; the main thread joins them all.
public class Main {
    public static void main(String[] args) throws Exception {
        AtomicLong total = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 64; t++) {
            final long base = t * 1000L;
            Thread th = new Thread(() -> {
                long s = 0;
                for (long i = base; i < base + 1000; i++) {
                    s += i;
                }
                total.addAndGet(s);
            });
            th.start();
            threads.add(th);
        }
        for (Thread th : threads) {
            th.join();
        }
        System.out.println(threads.size() + " " + total.get());
    }
}
