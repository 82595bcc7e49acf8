main(_) ->
    erlang:error(flash_boom).
