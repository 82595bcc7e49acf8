import java.util.ArrayList;
import java.util.List;

// Fills the heap until the JVM throws OutOfMemoryError (the heap is sized
// from the memory limit).
public class Main {
    public static void main(String[] args) {
        List<long[]> blocks = new ArrayList<>();
        for (;;) {
            long[] b = new long[1 << 17];
            java.util.Arrays.fill(b, 1);
            blocks.add(b);
        }
    }
}
