throw new Error("flash-boom");
