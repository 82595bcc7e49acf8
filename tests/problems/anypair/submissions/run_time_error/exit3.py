import sys
n = int(input())
if n > 5:
    sys.exit(3)
print(1, n - 1)
