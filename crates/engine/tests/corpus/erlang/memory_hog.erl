main(_) -> grow([]).
grow(L) -> grow([lists:seq(1, 1000) | L]).
