program spin
  integer(8), volatile :: i
  i = 0
  do while (i >= 0)
    i = i + 1
    if (i == huge(i)) i = 0
  end do
end program spin
