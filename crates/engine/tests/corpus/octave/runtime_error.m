error("flash-boom");
