program hello
  character(len=4000) :: s
  read(*, '(A)') s
  write(*, '(A)') 'Hello, ' // trim(s) // '!'
end program hello
