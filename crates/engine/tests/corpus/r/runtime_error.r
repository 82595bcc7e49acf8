stop("flash-boom")
