fn main() {
    undeclared_name = 1;
}
