raise "flash-boom"
