// Decoded with the default charset and printed back: the round trip checks
// that the box's locale makes the JVM use UTF-8.
public class Main {
    public static void main(String[] args) throws Exception {
        String text = new String(System.in.readAllBytes());
        System.out.print(text);
        System.out.flush();
    }
}
