use std::io::BufRead;

fn main() {
    let mut s = String::new();
    std::io::stdin().lock().read_line(&mut s).unwrap();
    println!("Hello, {}!", s.trim_end_matches('\n'));
}
