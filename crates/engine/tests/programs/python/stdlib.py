# Only the standard library; each module does a little real work.
import collections
import datetime
import decimal
import functools
import heapq
import itertools
import json
import math
import re

data = json.loads('{"words": ["b", "a", "b", "c", "b"]}')
counts = collections.Counter(data["words"])
print(json.dumps(counts.most_common(1)))
print(re.findall(r"\d+", "a1b22c333"))
print(list(itertools.accumulate([1, 2, 3, 4])))
print(math.gcd(12, 18), math.isqrt(99))
print(datetime.date(2024, 2, 28) + datetime.timedelta(days=1))
print(decimal.Decimal("0.1") + decimal.Decimal("0.2"))
print(heapq.nsmallest(2, [5, 1, 4, 2]))
print(functools.reduce(lambda a, b: a * b, range(1, 6)))
