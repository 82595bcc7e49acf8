# Presentation error by the checker (too few numbers): a WA for the folder.
input()
print(*sorted(map(int, input().split()))[:-1], sep="\n")
