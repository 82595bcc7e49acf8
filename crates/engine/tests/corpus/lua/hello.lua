local s = io.read("l")
print("Hello, " .. s .. "!")
