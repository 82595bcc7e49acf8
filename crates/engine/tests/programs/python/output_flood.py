while True:
    print("y" * 64)
