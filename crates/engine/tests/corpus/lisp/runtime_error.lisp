(error "flash-boom")
