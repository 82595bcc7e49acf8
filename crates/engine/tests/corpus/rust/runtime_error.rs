fn main() {
    panic!("flash-boom");
}
