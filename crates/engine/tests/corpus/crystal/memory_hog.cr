a = [] of Bytes
loop { a << Bytes.new(1 << 20, 1_u8) }
