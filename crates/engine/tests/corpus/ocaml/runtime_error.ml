let () = failwith "flash-boom"
