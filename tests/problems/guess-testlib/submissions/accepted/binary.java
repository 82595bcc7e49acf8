import java.io.*;
import java.util.Scanner;

public class Main {
    public static void main(String[] args) {
        Scanner in = new Scanner(System.in);
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out)));
        long lo = 1, hi = 1_000_000_000L;
        for (;;) {
            long mid = lo + (hi - lo) / 2;
            out.println(mid);
            out.flush();
            String reply = in.next();
            if (reply.equals("=")) break;
            if (reply.equals("<")) hi = mid - 1;
            else lo = mid + 1;
        }
    }
}
