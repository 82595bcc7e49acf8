package main

func main() {
	var l [][]byte
	for {
		b := make([]byte, 1<<20)
		for i := range b {
			b[i] = 1
		}
		l = append(l, b)
	}
}
