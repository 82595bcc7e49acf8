program boom
  error stop 'flash-boom'
end program boom
