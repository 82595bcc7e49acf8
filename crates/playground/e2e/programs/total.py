def total(items, seen):
    if not items:
        return 0
    head, *rest = items
    seen[head] = len(rest)
    print("adding", head)
    return head + total(rest, seen)


numbers = [3, 1, 4, 1, 5]
seen = {}
print("total:", total(numbers, seen))
