BEGIN { print "flash-boom" > "/dev/stderr"; exit 3 }
