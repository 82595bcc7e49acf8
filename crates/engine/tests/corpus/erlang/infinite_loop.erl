main(_) -> loop(0).
loop(X) -> loop(X + 1).
