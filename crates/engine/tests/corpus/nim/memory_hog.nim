import strutils
var s: seq[string]
while true:
  s.add(repeat('x', 1_000_000))
