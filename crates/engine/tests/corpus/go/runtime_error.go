package main

func main() { panic("flash-boom") }
