let () =
  let l = ref [] in
  while true do
    l := Bytes.make 1000000 'x' :: !l
  done
