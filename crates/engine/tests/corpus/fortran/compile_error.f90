program p
  implicit none
  undeclared_name = 1
end program p
