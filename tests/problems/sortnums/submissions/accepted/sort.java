import java.io.*;
import java.util.*;

public class Main {
    public static void main(String[] args) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));
        int n = Integer.parseInt(r.readLine().trim());
        long[] v = Arrays.stream(r.readLine().trim().split("\\s+")).mapToLong(Long::parseLong).toArray();
        Arrays.sort(v);
        StringBuilder sb = new StringBuilder();
        for (long x : v) sb.append(x).append('\n');
        System.out.print(sb);
    }
}
