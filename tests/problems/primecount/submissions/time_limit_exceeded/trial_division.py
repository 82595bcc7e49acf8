n = int(input())
print(sum(all(k % d for d in range(2, int(k**0.5) + 1)) for k in range(2, n + 1)))
