let () =
  let s = read_line () in
  print_endline ("Hello, " ^ s ^ "!")
