s <- readLines(file("stdin"), n = 1)
cat("Hello, ", s, "!\n", sep = "")
