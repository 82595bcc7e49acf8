x = 0_u64
while true
  x &+= 1
end
