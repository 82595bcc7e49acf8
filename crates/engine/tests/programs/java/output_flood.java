public class Main {
    public static void main(String[] args) {
        String line = "y".repeat(64);
        for (;;) {
            System.out.println(line);
        }
    }
}
