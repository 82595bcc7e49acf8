# Sorts correctly, then never stops. The package gives no time limit, so it
# is derived from the accepted submissions; this must time out under it times
# the safety margin.
import sys
nums = sorted(sys.stdin.read().split()[1:], key=int)
while True:
    pass
