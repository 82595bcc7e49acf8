input()
print(*sorted(map(int, input().split()), reverse=True), sep="\n")
