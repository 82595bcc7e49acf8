# Binary search, but its first guess is 0, outside [1, 10^9]: the interactor
# plays along ("> ") and accepts the dialogue; only the testlib checker, reading
# the interactor's log, rejects it.
print(0, flush=True)
assert input().strip() == ">"
lo, hi = 1, 10**9
while True:
    mid = (lo + hi) // 2
    print(mid, flush=True)
    reply = input().strip()
    if reply == "=":
        break
    if reply == "<":
        hi = mid - 1
    else:
        lo = mid + 1
