# Guesses once, then loops forever without reading the answer.
print(500000000, flush=True)
x = 0
while True:
    x += 1
