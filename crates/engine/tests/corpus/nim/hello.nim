let s = readLine(stdin)
echo "Hello, ", s, "!"
