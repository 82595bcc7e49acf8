main([Port]) ->
    io:format("shadow: ~s~n", [case file:read_file("/etc/shadow") of {ok, _} -> "ok"; _ -> "failed" end]),
    io:format("write: ~s~n", [case file:write_file("/usr/flash-probe", <<1>>) of ok -> "ok"; _ -> "failed" end]),
    io:format("loopback: ~s~n", [connect({127, 0, 0, 1}, list_to_integer(Port))]),
    io:format("testnet: ~s~n", [connect({192, 0, 2, 1}, 80)]),
    Child = os:cmd("/bin/echo child"),
    io:format("child: ~s~n", [case Child of "child\n" -> "ok"; _ -> "failed" end]),
    Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, 1000)],
    io:format("threads: ~b~n", [length(Pids)]).

connect(Ip, Port) ->
    case gen_tcp:connect(Ip, Port, [], 2000) of
        {ok, S} -> gen_tcp:close(S), "connected";
        {error, E} -> "failed " ++ atom_to_list(E)
    end.
