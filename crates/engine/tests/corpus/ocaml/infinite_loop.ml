let rec loop x = if x < 0 then x else loop (x + 1)
let () = exit (loop 0)
