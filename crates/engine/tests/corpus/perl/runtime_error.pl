die "flash-boom\n";
