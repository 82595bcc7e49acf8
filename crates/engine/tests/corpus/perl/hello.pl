my $s = <STDIN>;
chomp $s;
print "Hello, $s!\n";
