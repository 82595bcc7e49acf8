# Text mode on purpose: the round trip also checks that the box's locale makes
# Python decode and encode UTF-8.
import sys

sys.stdout.write(sys.stdin.read())
