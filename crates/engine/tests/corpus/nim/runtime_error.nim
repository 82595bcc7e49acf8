raise newException(ValueError, "flash-boom")
