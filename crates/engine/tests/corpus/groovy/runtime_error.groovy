throw new RuntimeException("flash-boom")
