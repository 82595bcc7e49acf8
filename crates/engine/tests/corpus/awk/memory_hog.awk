BEGIN { while (1) a[i++] = sprintf("%1000000d", i) }
