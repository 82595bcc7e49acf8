error("flash-boom")
