main :: IO ()
main = error "flash-boom"
