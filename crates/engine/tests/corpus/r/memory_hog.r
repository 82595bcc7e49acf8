l <- list()
i <- 0
repeat {
  i <- i + 1
  l[[i]] <- runif(1e6)
}
