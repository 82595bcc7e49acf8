void main() { undeclared_name = 1; }
