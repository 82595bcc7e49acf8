print("even" if int(input()[-1]) % 2 == 0 else "odd")
