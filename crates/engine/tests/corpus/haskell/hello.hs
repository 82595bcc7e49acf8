main :: IO ()
main = do
  s <- getLine
  putStrLn ("Hello, " ++ s ++ "!")
