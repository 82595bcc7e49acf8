# b"x" * n writes every byte, so the pages are really used.
blocks = []
while True:
    blocks.append(b"x" * (1 << 20))
