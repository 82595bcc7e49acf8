s = IO.gets("") |> String.trim_trailing("\n")
IO.puts("Hello, #{s}!")
