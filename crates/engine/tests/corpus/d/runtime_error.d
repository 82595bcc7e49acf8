void main() { throw new Exception("flash-boom"); }
