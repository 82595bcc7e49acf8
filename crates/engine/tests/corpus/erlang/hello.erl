main(_) ->
    Line = io:get_line(""),
    S = string:trim(Line, trailing, "\n"),
    io:format("Hello, ~ts!~n", [S]).
