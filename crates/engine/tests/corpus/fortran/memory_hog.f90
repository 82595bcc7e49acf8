program hog
  integer, allocatable :: a(:)
  allocate(a(500000000))
  a = 1
  print *, sum(a)
end program hog
