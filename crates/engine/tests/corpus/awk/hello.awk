{ print "Hello, " $0 "!"; exit }
