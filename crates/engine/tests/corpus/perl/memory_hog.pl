my @a;
push @a, "x" x 1000000 while 1;
