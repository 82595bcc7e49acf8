# Counts up from 1: runs out of guesses on large numbers.
g = 1
while True:
    print(g, flush=True)
    if input().strip() == "=":
        break
    g += 1
