var x = 0
while x >= 0:
  x = (x + 1) mod 1000
