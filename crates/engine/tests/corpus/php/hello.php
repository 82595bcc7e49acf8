<?php
$s = rtrim(fgets(STDIN), "\n");
echo "Hello, $s!\n";
